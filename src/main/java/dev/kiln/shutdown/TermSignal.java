package dev.kiln.shutdown;

import dev.kiln.config.AiModelsConfig;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;
import sun.misc.Signal;

import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * SIGTERM and SIGINT start Quarkus's orderly exit (readiness DOWN for quarkus.shutdown.delay, then
 * new requests refused while those in flight finish, then sessions closed) before the JVM runs
 * its shutdown hooks. Without this, the JVM runs all hooks at once, and ONNX Runtime's own hook
 * frees the native environment under requests still running on it: a crash, and every request in
 * flight lost (seen here: SIGSEGV in OrtSession.run on SIGTERM).
 */
@ApplicationScoped
public class TermSignal {

    private static final Logger LOG = Logger.getLogger(TermSignal.class);
    private final AtomicBoolean stopping = new AtomicBoolean();

    void onStart(@Observes StartupEvent ev, AiModelsConfig config) {
        if (!config.handleSignals()) {
            return;
        }
        for (String name : List.of("TERM", "INT")) {
            try {
                Signal.handle(new Signal(name), signal -> {
                    if (stopping.compareAndSet(false, true)) {
                        LOG.infof("SIG%s: stopping gracefully", name);
                        Quarkus.asyncExit(0);
                    }
                });
            } catch (IllegalArgumentException e) {
                LOG.warnf("cannot handle SIG%s here (%s): the JVM's default applies", name, e.getMessage());
            }
        }
    }
}
