"""The vendors flagsync speaks to: one line each, naming the vendor's package by string.

A vendor's package is imported only when a workspace names that vendor (so no generic module
has an import edge to a vendor, and a command imports only the vendor it uses). By convention
the package holds:

- `provider.py`, whose `PROVIDER` is the provider class (a subclass of `base.Provider`);
- `manifest_rules.py`, whose `RULES` (a `reconciler.manifest.provider_rules.ManifestRules`)
  checks the manifests for that vendor.
"""

from __future__ import annotations

from importlib import import_module
from types import ModuleType
from typing import Any

from reconciler.errors import WorkspaceError
from reconciler.providers.base import Provider

VENDORS: dict[str, str] = {
    "devcycle": "reconciler.providers.devcycle",
    "posthog": "reconciler.providers.posthog",
}


def _package(vendor: str) -> str:
    try:
        return VENDORS[vendor]
    except KeyError:
        raise WorkspaceError(
            f"provider '{vendor}' is not one flagsync knows ({', '.join(sorted(VENDORS))})"
        ) from None


def vendor_module(vendor: str, name: str) -> ModuleType:
    """A module of a vendor's package (`provider`, `manifest_rules`), imported now."""
    return import_module(f"{_package(vendor)}.{name}")


def provider_class(vendor: str) -> type[Provider[Any]]:
    """The provider class of a vendor (the workspace's `provider:` value)."""
    found = vendor_module(vendor, "provider").PROVIDER
    if not (isinstance(found, type) and issubclass(found, Provider)):
        raise TypeError(f"{_package(vendor)}.provider.PROVIDER is not a provider class")
    return found
