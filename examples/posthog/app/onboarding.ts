// Example application code for `flagsync refs` (posthog-js).
import posthog from "posthog-js";

export function startOnboarding(): string {
  if (posthog.isFeatureEnabled("new-onboarding")) {
    return posthog.isFeatureEnabled("onboarding-checklist") ? "short+checklist" : "short";
  }
  return "classic";
}
