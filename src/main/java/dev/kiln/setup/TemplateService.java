package dev.kiln.setup;

import dev.kiln.config.AiModelsConfig;
import dev.kiln.config.RuntimeSettings;
import dev.kiln.config.SettingsValues;
import dev.kiln.setup.SetupRecords.Template;
import jakarta.enterprise.context.ApplicationScoped;

/** {@code GET /api/v1/setup/template}: every setting with its current value, as JSON or as a .env file. */
@ApplicationScoped
public class TemplateService {

    private final RuntimeSettings settings;
    private final AiModelsConfig config;
    /** The template only changes with the runtime settings (the rest is fixed at startup). */
    private volatile CachedTemplate template;

    private record CachedTemplate(SettingsValues values, Template template) {
    }

    public TemplateService(RuntimeSettings settings, AiModelsConfig config) {
        this.settings = settings;
        this.config = config;
    }

    public Template template() {
        SettingsValues now = settings.current();
        CachedTemplate cached = template;
        if (cached == null || cached.values() != now) {
            cached = new CachedTemplate(now, new Template(SettingsCatalog.settings(new SettingsCatalog.Sources(config, now))));
            template = cached;
        }
        return cached.template();
    }

    public String dotEnv() {
        return SettingsCatalog.dotEnv(template().settings());
    }
}
