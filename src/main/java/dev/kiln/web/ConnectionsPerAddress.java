package dev.kiln.web;

import io.netty.channel.Channel;
import org.jboss.logging.Logger;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How many HTTP connections each sender (an IPv4 address, an IPv6 /64) has open, and a cap on it: two
 * addresses opening 21,000 silent connections took 19,999 of the process's 20,000 file descriptors,
 * honest calls waited 30 s and the repository follower could not list the repository. A connection
 * past the cap is closed as it is accepted, before it costs more than its socket.
 */
final class ConnectionsPerAddress {

    private static final Logger LOG = Logger.getLogger(ConnectionsPerAddress.class);

    private final int max;
    private static final long WARN_EVERY_NANOS = 60_000_000_000L;

    private final Map<String, Integer> open = new ConcurrentHashMap<>();
    private final AtomicLong lastWarning = new AtomicLong(System.nanoTime() - WARN_EVERY_NANOS - 1);

    ConnectionsPerAddress(int max) {
        this.max = max;
    }

    /** Counts an accepted connection until it closes; false (and nothing counted) when its sender is at the cap. */
    boolean admit(Channel accepted) {
        String sender = senderOf(accepted.remoteAddress());
        boolean[] admitted = {false};
        open.compute(sender, (key, count) -> {
            int now = count == null ? 0 : count;
            admitted[0] = now < max;
            return admitted[0] ? now + 1 : count;
        });
        if (!admitted[0]) {
            long at = System.nanoTime();
            long last = lastWarning.get();
            if (at - last > WARN_EVERY_NANOS && lastWarning.compareAndSet(last, at)) { // one line a minute under a flood
                LOG.warnf("%s has %d HTTP connections open (ai.models.connections.max-per-address): further ones are closed"
                        + " as they are accepted until some of its connections close", sender, max);
            }
            return false;
        }
        accepted.closeFuture().addListener(closed -> open.computeIfPresent(sender, (key, count) -> count <= 1 ? null : count - 1));
        return true;
    }

    private static String senderOf(SocketAddress address) {
        return address instanceof InetSocketAddress inet && inet.getAddress() != null
                ? ArrivingBody.peerOf(inet.getAddress().getHostAddress()) : String.valueOf(address);
    }

    /**
     * The cap when none is configured: a quarter of the file descriptors the process may open, so that no
     * one sender can take them all (the JVM raises its soft limit to the hard one at startup).
     */
    static int byDefault() {
        if (java.lang.management.ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
            return (int) Math.max(64, Math.min(Integer.MAX_VALUE, unix.getMaxFileDescriptorCount() / 4));
        }
        return 1024;
    }
}
