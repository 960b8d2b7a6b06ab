package dev.kiln.install;

import dev.kiln.config.AiModelsConfig;
import dev.kiln.install.InstallJob.Status;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Installs from {@code oci://}: resolves the reference to a manifest (choosing an image from an
 * index), checks the manifest against the digest the reference or the request's sha256 pins,
 * downloads every layer (each verified against its digest and size as it streams), then lays the
 * layers into the staged model directory. The top manifest's sha256 is what the job and the
 * model's manifest record.
 */
final class OciPull {

    /** An index may name an index; two levels is as deep as any real registry content goes. */
    private static final int MAX_INDEX_DEPTH = 2;

    private final SourcePolicy policy;
    private final AiModelsConfig.Install config;
    private final ArchiveUnpacker.Limits limits;
    private final Downloader downloader;

    OciPull(SourcePolicy policy, AiModelsConfig.Install config, Downloader downloader, ArchiveUnpacker.Limits limits) {
        this.limits = limits;
        this.policy = policy;
        this.config = config;
        this.downloader = downloader;
    }

    /** Returns the top manifest's sha256 (hex). */
    String pull(SourcePolicy.Source source, String expectedSha256, Path staging, Path modelDir, InstallJob job)
            throws InstallStepException, IOException {
        OciReference ref = OciReference.parse(source.uri().toString());
        long deadline = System.nanoTime() + config.downloadTimeout().toNanos();
        RegistryClient registry = new RegistryClient(ref, new SourcePolicy.Source(policy.registryBase(ref), source.address()), policy,
                new RegistryAuth(policy, config.oci().authFile(), downloader.tls()), downloader, deadline);
        job.status(Status.DOWNLOADING);
        RegistryClient.Manifest top = registry.manifest(ref.manifestReference());
        if (ref.digest() != null && !ref.digest().equals(top.digest())) {
            throw new InstallStepException("the registry answered a manifest whose digest is " + top.digest() + " for " + ref.shown());
        }
        String sha = top.digest().substring("sha256:".length());
        job.sha256(sha);
        job.status(Status.VERIFYING);
        if (expectedSha256 != null && !expectedSha256.equalsIgnoreCase(sha)) {
            throw new InstallStepException("sha256 mismatch: expected " + expectedSha256.toLowerCase() + ", got " + sha
                    + " (the digest of " + ref.shown() + "'s manifest)");
        }
        job.status(Status.DOWNLOADING);
        OciManifest image = image(registry, OciManifest.parse(top.body(), top.contentType()), 0);
        for (OciDescriptor layer : image.layers()) {
            if (!isFile(image, layer) && !layer.mediaType().contains("tar")) {
                throw new InstallStepException("layer " + layer.digest() + " is of type '" + OciDescriptor.shorten(layer.mediaType())
                        + "': not a tar layer, and no org.opencontainers.image.title names it as a file");
            }
        }
        List<Path> blobs = download(registry, image.layers(), staging, job);
        job.status(Status.UNPACKING);
        apply(image, blobs, modelDir);
        return sha;
    }

    /** In an artifact, a layer with a title (and no mark of a packed directory) is a file; every other layer is a tar. */
    private static boolean isFile(OciManifest image, OciDescriptor layer) {
        return image.kind() == OciManifest.Kind.ARTIFACT && layer.isTitledFile();
    }

    private void apply(OciManifest image, List<Path> blobs, Path modelDir) throws IOException, InstallStepException {
        OciLayerApplier applier = new OciLayerApplier(modelDir, image.kind() == OciManifest.Kind.IMAGE, limits);
        for (int i = 0; i < blobs.size(); i++) {
            OciDescriptor layer = image.layers().get(i);
            if (isFile(image, layer)) {
                applier.applyFile(blobs.get(i), layer.title(), layer.digest());
            } else {
                applier.applyTar(blobs.get(i), layer.digest());
            }
            Files.deleteIfExists(blobs.get(i));
        }
        applier.finish();
    }

    /** Follows an index to the image it holds for the platform it picks; each child manifest must match its digest. */
    private OciManifest image(RegistryClient registry, OciManifest manifest, int depth) throws InstallStepException, IOException {
        if (manifest.kind() != OciManifest.Kind.INDEX) {
            if (manifest.layers().isEmpty()) {
                throw new InstallStepException("the manifest has no layers");
            }
            return manifest;
        }
        if (depth >= MAX_INDEX_DEPTH) {
            throw new InstallStepException("the index names an index more than " + MAX_INDEX_DEPTH + " levels deep");
        }
        OciDescriptor chosen = manifest.pick();
        RegistryClient.Manifest child = registry.manifest(chosen.digest());
        if (!chosen.digest().equals(child.digest())) {
            throw new InstallStepException("the registry answered manifest " + child.digest() + " for " + chosen.digest());
        }
        return image(registry, OciManifest.parse(child.body(), child.contentType()), depth + 1);
    }

    /** Downloads every layer before any is applied; sizes are checked against max-bytes before the first byte. */
    private List<Path> download(RegistryClient registry, List<OciDescriptor> layers, Path staging, InstallJob job)
            throws InstallStepException, IOException {
        long sum = 0;
        for (OciDescriptor layer : layers) {
            sum += layer.size();
        }
        if (sum > config.maxBytes()) {
            throw new InstallStepException("the layers are " + sum + " bytes, over ai.models.install.max-bytes (" + config.maxBytes() + ")");
        }
        job.bytesTotal(sum);
        Path dir = Files.createDirectory(staging.resolve("blobs"));
        List<Path> paths = new ArrayList<>();
        long done = 0;
        for (int i = 0; i < layers.size(); i++) {
            OciDescriptor layer = layers.get(i);
            Path target = dir.resolve(Integer.toString(i));
            String sha = registry.blob(layer, target, job, config.maxBytes() - done);
            long size = Files.size(target);
            if (size != layer.size() || !sha.equals(layer.hex())) {
                throw new InstallStepException("blob " + layer.digest() + " does not match its descriptor: the registry sent " + size
                        + " bytes hashing to sha256:" + sha + " (the manifest says " + layer.size() + " bytes)");
            }
            done += size;
            paths.add(target);
        }
        return paths;
    }
}
