package dev.kiln.install;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.quarkus.runtime.annotations.RegisterForReflection;

import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/** One install, from request to READY or failure; its view is what clients poll. */
final class InstallJob {

    /** Where a job is; {@code step} is the word its error starts with when it fails there. */
    enum Status {
        QUEUED("prepare"), DOWNLOADING("download"), VERIFYING("verify"), UNPACKING("unpack"), VALIDATING("validate"),
        INSTALLING("install"), LOADING("load"), DONE("done"), FAILED("failed");

        final String step;

        Status(String step) {
            this.step = step;
        }
    }

    final String id = UUID.randomUUID().toString();
    final InstallRequest request;
    final String shownUrl;
    final Instant createdAt = Instant.now();
    final AtomicLong bytesDone = new AtomicLong();
    final CompletableFuture<InstallJob> finished = new CompletableFuture<>();
    private volatile long bytesTotal = -1;
    private volatile Status status = Status.QUEUED;
    private volatile String sha256;
    private volatile String error;
    private volatile boolean conflict;
    private volatile Instant finishedAt;
    private volatile String state;

    InstallJob(InstallRequest request, String shownUrl) {
        this.request = request;
        this.shownUrl = shownUrl;
    }

    void status(Status s) {
        status = s;
    }

    Status status() {
        return status;
    }

    void bytesTotal(long total) {
        bytesTotal = total;
    }

    /** A download's declared length, unless the whole job's total was known before (the sum of an image's blobs). */
    void bytesTotalIfUnknown(long total) {
        if (bytesTotal < 0) {
            bytesTotal = total;
        }
    }

    void sha256(String hex) {
        sha256 = hex;
    }

    void done(String modelState) {
        state = modelState;
        status = Status.DONE;
        finishedAt = Instant.now();
    }

    void failed(String step, String message) {
        failed(step, message, false);
    }

    /** {@code conflict}: the name was taken meanwhile (by another install, here or in another replica). */
    void failed(String step, String message, boolean conflict) {
        this.conflict = conflict;
        error = step + ": " + message;
        status = Status.FAILED;
        finishedAt = Instant.now();
    }

    /** Wakes waiters; called last, after the staging area is cleaned, so a waiter sees the final disk. */
    void release() {
        finished.complete(this);
    }

    boolean conflicted() {
        return conflict;
    }

    boolean ended() {
        return status == Status.DONE || status == Status.FAILED;
    }

    View view() {
        return new View(id, request.name(), status.name().toLowerCase(java.util.Locale.ROOT), bytesDone.get(),
                bytesTotal < 0 ? null : bytesTotal, sha256, error, shownUrl, Boolean.TRUE.equals(request.replace()),
                state, createdAt, finishedAt);
    }

    /** The job as clients see it. */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    @RegisterForReflection
    public record View(String id, String name, String status, long bytesDone, Long bytesTotal, String sha256,
                       String error, String url, boolean replace, String modelState, Instant createdAt,
                       Instant finishedAt) {
    }
}
