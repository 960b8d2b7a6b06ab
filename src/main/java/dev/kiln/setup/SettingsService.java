package dev.kiln.setup;

import dev.kiln.config.RuntimeSettings;
import dev.kiln.config.SettingsUpdate;
import dev.kiln.config.SettingsValues;
import dev.kiln.setup.SetupRecords.EffectiveConfig;
import dev.kiln.warmup.Warmup;
import jakarta.enterprise.context.ApplicationScoped;

/** {@code GET/POST /api/v1/setup/config}: the settings that change at run time, validated and persisted. */
@ApplicationScoped
public class SettingsService {

    private final RuntimeSettings settings;
    private final Warmup warmup;

    public SettingsService(RuntimeSettings settings, Warmup warmup) {
        this.settings = settings;
        this.warmup = warmup;
    }

    /** Applies and persists new settings. Turning lazy loading off warms the lazy models first, so readiness never drops. */
    public EffectiveConfig apply(SettingsUpdate update) {
        if (update != null && Boolean.FALSE.equals(update.lazyLoad()) && settings.current().lazyLoad()) {
            warmup.warmUp(true);
        }
        return effective(settings.apply(update));
    }

    public EffectiveConfig effective() {
        return effective(settings.current());
    }

    private EffectiveConfig effective(SettingsValues v) {
        return new EffectiveConfig(v.lazyLoad(), v.warmupIterations(), RuntimeSettings.format(v.telemetryIdleAfter()),
                settings.file().toString());
    }
}
