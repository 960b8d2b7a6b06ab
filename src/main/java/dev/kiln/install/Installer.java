package dev.kiln.install;

import dev.kiln.catalog.Category;
import dev.kiln.catalog.ModelEntry;
import dev.kiln.catalog.ModelManifest;
import dev.kiln.catalog.ModelName;
import dev.kiln.catalog.ModelRepository;
import dev.kiln.catalog.VersionNumber;
import dev.kiln.config.AiModelsConfig;
import dev.kiln.errors.KilnError;
import dev.kiln.files.AtomicFiles;
import dev.kiln.files.LockFile;
import dev.kiln.install.InstallJob.Status;
import dev.kiln.registry.ModelRegistry;
import dev.kiln.registry.ModelState;
import dev.kiln.registry.ModelStatus;
import dev.kiln.registry.ModelVersions;
import dev.kiln.registry.Replacement;
import dev.kiln.registry.ResidencyPolicy;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Installs models while Kiln serves: download into a staging directory inside the repository,
 * verify, unpack, let ONNX Runtime open it, then move it into place atomically and register it.
 * Any failure leaves nothing behind; a replace keeps the old version serving until the new one
 * is ready.
 */
@ApplicationScoped
public class Installer {

    private static final Logger LOG = Logger.getLogger(Installer.class);
    private static final Pattern SHA256 = Pattern.compile("[0-9a-fA-F]{64}");
    private static final int KEEP_JOBS = 100;

    private final AiModelsConfig.Install config;
    private final ArchiveUnpacker.Limits unpackLimits;
    private final SourcePolicy policy;
    private final ModelRepository repository;
    private final ModelRegistry registry;
    private final ResidencyPolicy residency;
    private final Downloader downloader = new Downloader();
    private final OciPull oci;
    private final Map<String, InstallJob> jobs = Collections.synchronizedMap(new LinkedHashMap<>());
    private final Map<String, InstallJob> runningByName = new ConcurrentHashMap<>();
    private final ExecutorService executor;

    public Installer(AiModelsConfig config, SourcePolicy policy, ModelRepository repository, ModelRegistry registry,
                     ResidencyPolicy residency) {
        this.config = config.install();
        this.unpackLimits = new ArchiveUnpacker.Limits(this.config.maxBytes(), this.config.maxExpansionRatio(),
                config.health().minFreeDiskBytes());
        this.policy = policy;
        this.repository = repository;
        this.registry = registry;
        this.residency = residency;
        this.oci = new OciPull(policy, this.config, downloader, unpackLimits);
        this.executor = Executors.newFixedThreadPool(Math.max(1, this.config.threads()), r -> {
            Thread t = new Thread(r, "kiln-install");
            t.setDaemon(true);
            return t;
        });
    }

    /** Stops running installs (each removes its staging directory) before the registry closes sessions. */
    void onStop(@Observes @Priority(60) ShutdownEvent ev) {
        executor.shutdownNow();
        try {
            executor.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Validates at once (400/409), then runs the install as a job. */
    public InstallJob.View submit(InstallRequest r) {
        SourcePolicy.Source source = validate(r);
        Optional<ModelVersions> existing = registry.model(r.name());
        if (existing.isPresent() && !Boolean.TRUE.equals(r.replace())
                && (r.version() == null || existing.get().onDisk().contains(r.version()))) {
            throw KilnError.conflict(r.version() == null
                    ? "model '" + r.name() + "' is already installed; send \"replace\": true to install a new version over it"
                    : "model '" + r.name() + "' already has version " + r.version() + "; send \"replace\": true to install over it");
        }
        java.util.Set<Integer> pushedOut = existing.isPresent() && r.version() != null
                ? existing.get().pushedOutBy(r.version()) : java.util.Set.of();
        if (!pushedOut.isEmpty()) {
            ModelVersions m = existing.get();
            throw KilnError.conflict("installing version " + r.version() + " of '" + r.name() + "' would stop serving version(s) "
                    + pushedOut + " (version_policy " + m.manifest().policy().text() + "), where its unversioned"
                    + " calls go: raise the policy (PUT /api/v1/setup/models/" + r.name() + "/version-policy) or route them first");
        }
        InstallJob job = new InstallJob(r, SourcePolicy.shown(source.uri()));
        InstallJob running = runningByName.putIfAbsent(r.name(), job);
        if (running != null) {
            throw KilnError.conflict("an install of '" + r.name() + "' is already running as job " + running.id);
        }
        remember(job);
        try {
            executor.execute(() -> run(job, source));
        } catch (RejectedExecutionException e) {
            runningByName.remove(r.name(), job);
            throw new KilnError(KilnError.Kind.UNAVAILABLE, "the installer is shutting down", 5, e);
        }
        LOG.infof("install job %s: %s from %s", job.id, r.name(), job.shownUrl);
        return job.view();
    }

    public Optional<InstallJob.View> job(String id) {
        return Optional.ofNullable(jobs.get(id)).map(InstallJob::view);
    }

    public List<InstallJob.View> jobs() {
        synchronized (jobs) {
            return new ArrayList<>(jobs.values()).stream().map(InstallJob::view).toList();
        }
    }

    /** Waits for the job to end (bounded by the download timeout plus loading time). */
    public InstallJob.View await(String id) {
        InstallJob job = jobs.get(id);
        if (job == null) {
            throw KilnError.notFound("unknown install job '" + id + "'");
        }
        try {
            return job.finished.get(config.downloadTimeout().toMillis() + 600_000, TimeUnit.MILLISECONDS).view();
        } catch (Exception e) {
            return job.view();
        }
    }

    /** Whether the job failed because the name was taken meanwhile (another install won it, here or in another replica). */
    public boolean conflicted(String id) {
        InstallJob job = jobs.get(id);
        return job != null && job.conflicted();
    }

    private SourcePolicy.Source validate(InstallRequest r) {
        if (r == null) {
            throw KilnError.invalid("request body is missing: send name, url and category");
        }
        if (r.name() == null) {
            throw KilnError.invalid("field 'name' is required");
        }
        ModelName.require(r.name());
        if (r.url() == null || r.url().isBlank()) {
            throw KilnError.invalid("field 'url' is required");
        }
        if (r.category() == null) {
            throw KilnError.invalid("field 'category' is required: text, image, voice, video or another lowercase word");
        }
        if (!Category.isValid(r.category())) {
            throw KilnError.invalid("field 'category' must be a lowercase word such as text, image, voice or video");
        }
        if (r.sha256() != null && !SHA256.matcher(r.sha256()).matches()) {
            throw KilnError.invalid("field 'sha256' must be 64 hexadecimal characters");
        }
        if (r.sha256() == null && config.requireChecksum() && !OciReference.pinsDigest(r.url())) {
            throw KilnError.invalid("field 'sha256' is required (ai.models.install.require-checksum is on)"
                    + (OciReference.isOci(r.url()) ? ", or name the image by digest (oci://registry/repo@sha256:...)" : ""));
        }
        if (r.provider() != null && !Category.isValid(r.provider())) {
            throw KilnError.invalid("field 'provider' must be a lowercase word");
        }
        if (r.version() != null && !VersionNumber.isValid(r.version())) {
            throw KilnError.invalid("field 'version' must be a whole number from 1 to " + VersionNumber.MAX);
        }
        if (r.description() != null && r.description().length() > 2000) {
            throw KilnError.invalid("field 'description' is longer than 2000 characters");
        }
        return policy.check(r.url());
    }

    private void run(InstallJob job, SourcePolicy.Source source) {
        InstallRequest r = job.request;
        Path staging = null;
        Replacement replacement = null;
        try {
            requireLockable(r.name());
            staging = repository.newStagingDirectory("install-" + job.id);
            Path modelDir = staging.resolve("model");
            String sha = source.isOci() ? oci.pull(source, r.sha256(), staging, modelDir, job) : fetch(source, r, staging, modelDir, job);
            refuseVersionFolders(modelDir);
            // A version added to a model keeps the model's own manifest: the staged one would only be dropped.
            if (r.version() == null || registry.model(r.name()).isEmpty()) {
                AtomicFiles.write(modelDir.resolve(ModelEntry.MANIFEST_FILE), repository.toYaml(manifest(r, sha)));
            }
            job.status(Status.VALIDATING);
            replacement = registry.prepare(repository.readStaged(modelDir, r.name(), r.version() != null ? r.version() : 1));
            job.status(Status.INSTALLING);
            ModelStatus status = registry.install(r.name(), r.version(), modelDir, replacement, Boolean.TRUE.equals(r.replace()));
            job.done(status.state().name());
            LOG.infof("install job %s: %s installed (%s)", job.id, r.name(), status.state());
        } catch (InstallStepException | KilnError e) {
            String step = job.status().step;
            job.failed(step, e.getMessage(), e instanceof KilnError k && k.kind() == KilnError.Kind.CONFLICT);
            LOG.warnf("install job %s failed at %s: %s", job.id, step, e.getMessage());
        } catch (Exception e) {
            String step = job.status().step;
            job.failed(step, e.getClass().getSimpleName() + (e.getMessage() != null ? ": " + e.getMessage() : ""));
            LOG.warnf(e, "install job %s failed at %s", job.id, step);
        } finally {
            registry.discard(replacement);
            try {
                if (staging != null) {
                    repository.discardStaging(staging);
                }
            } catch (Exception e) {
                LOG.warnf("could not remove %s: %s (it is removed at next start)", staging, e.getMessage());
            }
            runningByName.remove(r.name(), job);
            job.release();
        }
    }

    /**
     * Fails the job before it downloads when the name's lock file cannot be made: the install would be
     * refused at its end anyway (see LockFile.acquireForChange). Another replica holding the lock now
     * is not a reason: the install waits for it when it moves the files in.
     */
    private void requireLockable(String name) throws InstallStepException {
        try (LockFile.Held probe = repository.lockNameForChange(name, java.time.Duration.ZERO)) {
            // only the check
        } catch (LockFile.Busy busy) {
            // held by another replica's change now: fine
        } catch (LockFile.Unusable unusable) {
            throw new InstallStepException("model '" + name + "' cannot be changed: " + unusable.getMessage());
        }
    }

    /**
     * An install brings one version. Version folders inside it (2/model.onnx beside model.onnx) were
     * served after it, never opened by the install: a broken one was FAILED, took the replicas out of
     * readiness, and the install still answered done. A folder named with digits that spell no version
     * (007, 0) is refused too: whoever made it meant a version, and none would be served.
     */
    private static void refuseVersionFolders(Path modelDir) throws InstallStepException, java.io.IOException {
        List<String> numbered;
        try (java.util.stream.Stream<Path> top = java.nio.file.Files.list(modelDir)) {
            numbered = top.filter(java.nio.file.Files::isDirectory).map(p -> p.getFileName().toString())
                    .filter(n -> n.chars().allMatch(c -> c >= '0' && c <= '9')).sorted().toList();
        }
        List<String> folders = numbered.stream().filter(n -> VersionNumber.parse(n).isPresent()).toList();
        if (!folders.isEmpty()) {
            throw new InstallStepException("the source holds version folder(s) " + folders + ": an install brings one version;"
                    + " install each with \"version\": N");
        }
        // 007/ was installed beside model.onnx and never served: the repository reads no version from it.
        if (!numbered.isEmpty()) {
            throw new InstallStepException("the source holds folder(s) " + numbered + " named like versions that are not"
                    + " version numbers (1 to " + VersionNumber.MAX + ", no leading zeros): an install brings one version;"
                    + " install each with \"version\": N");
        }
    }

    /** An https, http or file source: one download, checked against the request's sha256, then unpacked. */
    private String fetch(SourcePolicy.Source source, InstallRequest r, Path staging, Path modelDir, InstallJob job)
            throws InstallStepException, java.io.IOException {
        job.status(Status.DOWNLOADING);
        Path download = staging.resolve("download");
        String sha = downloader.fetch(source, download, job, config.maxBytes(), config.downloadTimeout(), policy::check);
        job.sha256(sha);
        job.status(Status.VERIFYING);
        if (r.sha256() != null && !r.sha256().equalsIgnoreCase(sha)) {
            throw new InstallStepException("sha256 mismatch: expected " + r.sha256().toLowerCase() + ", got " + sha);
        }
        job.status(Status.UNPACKING);
        ArchiveUnpacker.unpack(download, modelDir, unpackLimits);
        return sha;
    }

    private static ModelManifest manifest(InstallRequest r, String sha) {
        return new ModelManifest(r.name(), r.category(), r.provider() != null ? r.provider() : ModelManifest.DEFAULT_PROVIDER,
                ModelManifest.DEFAULT_ENGINE, r.lazyLoad() != null ? r.lazyLoad() : Boolean.FALSE,
                r.enabled() != null ? r.enabled() : Boolean.TRUE, null, r.description(),
                new ModelManifest.Source(SourcePolicy.shown(URI.create(r.url())), sha), null, null, null, null, null, null, null, null);
    }

    private void remember(InstallJob job) {
        synchronized (jobs) {
            jobs.put(job.id, job);
            var it = jobs.entrySet().iterator();
            while (jobs.size() > KEEP_JOBS && it.hasNext()) {
                if (it.next().getValue().ended()) {
                    it.remove();
                }
            }
        }
    }
}
