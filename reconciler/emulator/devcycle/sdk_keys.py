"""Which environment an SDK key opens: how the SDK-facing routes know whose flags to serve.

SDKs never hold an OAuth token: a server SDK names its environment by one of the environment's
server keys (`dvc_server_...`), in the config CDN's path and in the events API's `Authorization`
header. An environment may hold several keys of a kind at once (rotation adds one and keeps the
old ones until they are invalidated), and each of them works until it is deleted.
"""

from __future__ import annotations

from .store import DevCycleStore, Doc


def environment_for_key(store: DevCycleStore, key: str, kind: str = "server") -> Doc | None:
    """The environment holding `key` among its SDK keys of `kind`, or None."""
    if not key:
        return None
    for env in store.environments.values():
        if any(item.get("key") == key for item in env.get("sdkKeys", {}).get(kind, [])):
            return env
    return None
