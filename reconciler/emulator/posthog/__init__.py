"""A local emulator of PostHog's private REST API: feature flags, experiments, cohorts and the
flag definitions server SDKs evaluate locally.

It is a real HTTP API (Starlette routes) that behaves like PostHog where a reconciler can
notice: paths, exceptions-hog error bodies, limit/offset pagination, soft delete, `version`
conflicts, server-side normalisation of `filters`. It imports nothing from the rest of
`reconciler`, so a translation bug in flagsync cannot be mirrored on the emulator's side.
"""

from .routes import posthog_routes
from .seed import (
    PERSONAL_API_KEY,
    PRODUCTION_PROJECT_API_KEY,
    REVIEWER_API_KEY,
    STAGING_PROJECT_API_KEY,
)
from .state import PostHogState

__all__ = [
    "PERSONAL_API_KEY",
    "PRODUCTION_PROJECT_API_KEY",
    "REVIEWER_API_KEY",
    "STAGING_PROJECT_API_KEY",
    "PostHogState",
    "posthog_routes",
]
