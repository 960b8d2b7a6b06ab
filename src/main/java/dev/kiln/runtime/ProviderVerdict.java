package dev.kiln.runtime;

/** Whether an execution provider can be used here, and why not when it cannot. */
public record ProviderVerdict(String provider, boolean usable, String reason) {

    static ProviderVerdict usable(String provider) {
        return new ProviderVerdict(provider, true, null);
    }

    static ProviderVerdict unusable(String provider, String reason) {
        return new ProviderVerdict(provider, false, reason);
    }
}
