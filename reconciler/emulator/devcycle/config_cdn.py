"""DevCycle's config CDN: `GET /config/v2/server/{sdkKey}.json` for local-bucketing SDKs.

Server SDKs poll this file (the Python SDK every 30 s by default) and send back the `ETag` and
`Last-Modified` of the copy they hold as `If-None-Match` / `If-Modified-Since`; a 304 keeps
their copy. An SDK also refuses a config whose `Last-Modified` is older than its copy's, so
`Last-Modified` here is the moment the environment's config last changed as served: it moves
only when the body does (and never backwards while the emulator runs), not with every read.
A CDN needs no OAuth token: the SDK key in the path is the credential.

Vendor behaviour unknown, and the emulator's choices:
- an SDK key that is not a server key of any environment is a 403 with an empty body: the
  vendor's Node.js SDK and its SDK test harness read a 403 from the CDN as an invalid key (the
  Python SDK then stops polling), and a 404 would be retried forever;
- the ETag is a quoted digest of the body; `Cache-Control` says the copy must be revalidated.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from email.utils import formatdate, parsedate_to_datetime

from starlette.requests import Request
from starlette.responses import Response

from .sdk_config import build_config
from .sdk_keys import environment_for_key
from .store import DevCycleStore

CONFIG_PATH = "/config/v2/server/{sdk_key}.json"


class ConfigCdn:
    """Serves each environment's SDK config and remembers when each one last changed."""

    def __init__(self, store: DevCycleStore) -> None:
        self.store = store
        self._published: dict[str, tuple[str, float]] = {}  # env _id -> (etag, changed at)
        self._lock = threading.Lock()

    async def endpoint(self, request: Request) -> Response:
        with self.store.lock:
            env = environment_for_key(self.store, request.path_params["sdk_key"])
            if env is None:
                return Response(status_code=403)
            body = json.dumps(build_config(self.store, env), separators=(",", ":")).encode()
            env_id = env["_id"]
        etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
        changed_at = self._changed_at(env_id, etag)
        headers = {
            "ETag": etag,
            "Last-Modified": formatdate(changed_at, usegmt=True),
            "Cache-Control": "no-cache",
        }
        if _not_modified(request, etag, changed_at):
            return Response(status_code=304, headers=headers)
        return Response(body, media_type="application/json", headers=headers)

    def _changed_at(self, env_id: str, etag: str) -> float:
        """When the environment's config took this ETag (now, for a first or a new body)."""
        with self._lock:
            published = self._published.get(env_id)
            if published is None or published[0] != etag:
                # Whole seconds, as HTTP dates carry them; never before the previous change.
                previous = published[1] if published else 0.0
                published = (etag, max(float(int(time.time())), previous))
                self._published[env_id] = published
            return published[1]


def _not_modified(request: Request, etag: str, changed_at: float) -> bool:
    """RFC 9110 conditional GET: `If-None-Match` decides when given, else `If-Modified-Since`."""
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
        return "*" in tags or etag in tags
    if_modified_since = request.headers.get("if-modified-since")
    if if_modified_since is None:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since).timestamp()
    except (TypeError, ValueError):
        return False
    return changed_at <= since
