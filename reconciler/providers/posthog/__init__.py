"""PostHog: feature flags per project (an environment is a project)."""
