"""Example server code for `flagsync refs` (posthog-python)."""

import posthog


def dashboard(user_id: str) -> str:
    if posthog.feature_enabled("beta-dashboard", user_id):
        return "beta"
    # Not declared in any manifest: `flagsync refs` lists it under "declared in no manifest".
    if posthog.feature_enabled("legacy-reports", user_id):
        return "legacy"
    return "current"
