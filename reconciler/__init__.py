"""flagsync: feature flags as code.

Manifests (YAML) are parsed into one provider-neutral model (`reconciler.model`), diffed against
the live state a provider reads (`reconciler.plan`), and applied (`reconciler.apply`).
"""

__version__ = "0.1.0"
