package dev.kiln.telemetry;

import io.quarkus.runtime.annotations.RegisterForReflection;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The last ten minutes of each model's request rate and latency, kept in memory so the admin page
 * can draw them without a Prometheus: every 5 s the latency histogram of each model is read, and
 * percentiles of an interval come from the difference of two readings, as histogram_quantile does.
 */
@ApplicationScoped
public class RecentHistory {

    static final int INTERVAL_SECONDS = 5;
    static final int KEPT = 121;

    private record Sample(long atMillis, ModelMeters.Reading reading) {
    }

    @RegisterForReflection
    public record Point(long at, double requestsPerSecond, Double p50Ms, Double p95Ms) {
    }

    @RegisterForReflection
    public record ModelHistory(double requestsPerSecond, Double p50Ms, Double p95Ms, List<Point> points) {
    }

    @RegisterForReflection
    public record View(int intervalSeconds, Map<String, ModelHistory> models) {
    }

    private final UsageTracker usage;
    private final Map<String, Deque<Sample>> samples = new ConcurrentHashMap<>();

    public RecentHistory(UsageTracker usage) {
        this.usage = usage;
    }

    @Scheduled(every = "5s", delay = 1, delayUnit = java.util.concurrent.TimeUnit.SECONDS,
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void sample() {
        long now = System.currentTimeMillis();
        Map<String, ModelMeters.Reading> readings = usage.readings();
        samples.keySet().retainAll(readings.keySet());
        readings.forEach((model, r) -> {
            Deque<Sample> d = samples.computeIfAbsent(model, m -> new ArrayDeque<>());
            synchronized (d) {
                d.addLast(new Sample(now, r));
                while (d.size() > KEPT) {
                    d.removeFirst();
                }
            }
        });
    }

    /** Per model: points for each interval, and rate and percentiles over the last five minutes. */
    public View view() {
        Map<String, ModelHistory> out = new LinkedHashMap<>();
        samples.forEach((model, d) -> {
            List<Sample> s;
            synchronized (d) {
                s = new ArrayList<>(d);
            }
            List<Point> points = new ArrayList<>();
            for (int i = 1; i < s.size(); i++) {
                points.add(point(s.get(i - 1), s.get(i)));
            }
            Sample last = s.isEmpty() ? null : s.get(s.size() - 1);
            Sample from = s.stream().filter(x -> last != null && last.atMillis() - x.atMillis() <= 300_000).findFirst().orElse(last);
            Point window = from == null || from == last ? new Point(0, 0, null, null) : point(from, last);
            out.put(model, new ModelHistory(window.requestsPerSecond(), window.p50Ms(), window.p95Ms(), points));
        });
        return new View(INTERVAL_SECONDS, out);
    }

    private static Point point(Sample a, Sample b) {
        long n = b.reading().count() - a.reading().count();
        double seconds = Math.max(0.001, (b.atMillis() - a.atMillis()) / 1000.0);
        return new Point(b.atMillis(), round(n / seconds), quantile(a.reading(), b.reading(), 0.50),
                quantile(a.reading(), b.reading(), 0.95));
    }

    /** The q-quantile of the requests between two readings, interpolated inside its bucket; null without requests. */
    static Double quantile(ModelMeters.Reading a, ModelMeters.Reading b, double q) {
        long n = b.count() - a.count();
        double[] bounds = b.bounds();
        if (n <= 0 || bounds.length == 0 || a.cumulative().length != bounds.length) {
            return null;
        }
        double target = q * n;
        double lower = 0;
        long below = 0;
        for (int i = 0; i < bounds.length; i++) {
            long cum = b.cumulative()[i] - a.cumulative()[i];
            if (cum >= target) {
                long inBucket = cum - below;
                double fraction = inBucket == 0 ? 1 : (target - below) / inBucket;
                return round((lower + (bounds[i] - lower) * fraction) * 1000);
            }
            lower = bounds[i];
            below = cum;
        }
        return round(bounds[bounds.length - 1] * 1000);
    }

    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }
}
