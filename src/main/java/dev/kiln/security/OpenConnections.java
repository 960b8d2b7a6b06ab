package dev.kiln.security;

import dev.kiln.config.AiModelsConfig;
import io.netty.channel.Channel;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How many connections are open, in all and from each sender ({@link SenderKey}), and a cap on both;
 * the HTTP and gRPC ports count together. Two addresses opening 21,000 silent connections took 19,999
 * of the process's 20,000 file descriptors: honest calls waited 30 s and the repository follower
 * could not list the repository. One sender is held to its share; the total keeps the rest of the
 * descriptors (and the heap) for the process when many senders flood it together. A connection past
 * either cap is closed as it is accepted, before it costs more than its socket.
 */
@ApplicationScoped
public class OpenConnections {

    private static final Logger LOG = Logger.getLogger(OpenConnections.class);
    private static final long WARN_EVERY_NANOS = 60_000_000_000L;
    /** An idle connection holds about 3 KB of heap (measured at -Xmx256m); no more connections than one per this much of it. */
    private static final long HEAP_PER_CONNECTION = 32 * 1024;

    private final int max;
    private final int maxPerSender;
    private final AtomicInteger total = new AtomicInteger();
    private final Map<String, Integer> open = new ConcurrentHashMap<>();
    private final AtomicLong lastWarning = new AtomicLong(System.nanoTime() - WARN_EVERY_NANOS - 1);

    public OpenConnections(AiModelsConfig config) {
        this.max = config.connections().max().orElseGet(OpenConnections::maxByDefault);
        this.maxPerSender = config.connections().maxPerAddress().orElseGet(() -> perSenderByDefault(max));
    }

    /** The total: ai.models.connections.max, or its default. */
    public int max() {
        return max;
    }

    /** Counts an accepted connection until it closes; false (and nothing counted) when a cap is reached. */
    public boolean admit(Channel accepted) {
        String sender = senderOf(accepted.remoteAddress());
        if (total.incrementAndGet() > max) {
            total.decrementAndGet();
            warn("%d connections are open (ai.models.connections.max): further ones are closed as they are accepted"
                    + " until some close (this one came from %s)", max, sender);
            return false;
        }
        boolean[] admitted = {false};
        open.compute(sender, (key, count) -> {
            int now = count == null ? 0 : count;
            admitted[0] = now < maxPerSender;
            return admitted[0] ? now + 1 : count;
        });
        if (!admitted[0]) {
            total.decrementAndGet();
            warn("%2$s has %1$d connections open (ai.models.connections.max-per-address): further ones are closed"
                    + " as they are accepted until some of its connections close", maxPerSender, sender);
            return false;
        }
        accepted.closeFuture().addListener(closed -> {
            open.computeIfPresent(sender, (key, count) -> count <= 1 ? null : count - 1);
            total.decrementAndGet();
        });
        return true;
    }

    /** One line a minute at most: under a flood every refused connection would log one. */
    private void warn(String format, int cap, String sender) {
        long at = System.nanoTime();
        long last = lastWarning.get();
        if (at - last > WARN_EVERY_NANOS && lastWarning.compareAndSet(last, at)) {
            LOG.warnf(format, cap, sender);
        }
    }

    private static String senderOf(SocketAddress address) {
        return address instanceof InetSocketAddress inet && inet.getAddress() != null
                ? SenderKey.of(inet.getAddress().getHostAddress()) : String.valueOf(address);
    }

    /**
     * The total when none is configured: half the file descriptors the process may open (the JVM raises
     * its soft limit to the hard one at startup), so that models and the repository keep the other half
     * (the gRPC port's connections count within it), and no more than one connection per 32 KB of the
     * largest heap.
     */
    private static int maxByDefault() {
        long byHeap = Runtime.getRuntime().maxMemory() / HEAP_PER_CONNECTION;
        long byFiles = java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.UnixOperatingSystemMXBean unix ? unix.getMaxFileDescriptorCount() / 2 : 4096;
        return (int) Math.max(256, Math.min(Integer.MAX_VALUE, Math.min(byHeap, byFiles)));
    }

    /** A sender's share when none is configured: a quarter of the total, so that no one sender can take it all. */
    private static int perSenderByDefault(int max) {
        return Math.max(64, max / 4);
    }
}
