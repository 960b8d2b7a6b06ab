package dev.kiln.web;

import dev.kiln.catalog.ModelManifest;
import dev.kiln.config.SettingsUpdate;
import dev.kiln.health.HealthReport;
import dev.kiln.inference.V2Records;
import dev.kiln.runtime.TensorSpec;
import dev.kiln.setup.SetupViews;
import dev.kiln.telemetry.TelemetryView;
import dev.kiln.warmup.WarmupReport;
import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * Every record Jackson reads or writes, for the native image: Quarkus registers resource return
 * types by itself, but not records read through our own mappers (manifests, settings, V2 requests)
 * nor records nested in collections.
 */
@RegisterForReflection(targets = {
        ModelManifest.class, ModelManifest.Source.class, ModelManifest.Warmup.class, ModelManifest.Execution.class,
        SettingsUpdate.class, ErrorBody.class, TensorSpec.class,
        V2Records.InferRequest.class, V2Records.InferInput.class, V2Records.RequestedOutput.class,
        V2Records.InferResponse.class, V2Records.InferOutput.class, V2Records.ModelMetadata.class,
        V2Records.ModelReady.class, V2Records.RepositoryModel.class, V2Records.RepositoryIndexRequest.class,
        V2Records.ServerMetadata.class, V2Records.ServerLive.class, V2Records.ServerReady.class,
        HealthReport.class, HealthReport.Dependency.class, HealthReport.EngineStatus.class, HealthReport.CategoryStatus.class,
        TelemetryView.class, TelemetryView.ModelTelemetry.class, TelemetryView.Summary.class, TelemetryView.Recommendation.class,
        WarmupReport.class, WarmupReport.ModelWarmup.class,
        SetupViews.Status.class, SetupViews.Warmup.class, SetupViews.ModelCounts.class, SetupViews.EffectiveConfig.class,
        SetupViews.Setting.class, SetupViews.Template.class, SetupViews.EngineInstallRequest.class,
        SetupViews.EngineInstalled.class, SetupViews.Engines.class, SetupViews.ModelsStatus.class, SetupViews.InstalledModel.class
})
public final class NativeReflection {
    private NativeReflection() {
    }
}
