"""OAuth client-credentials tokens, as DevCycle's Auth0 tenant issues them, and their check.

The vendor's token endpoint is Auth0 (`POST https://auth.devcycle.com/oauth/token`), so its
errors have Auth0's shape (`{"error", "error_description"}`), unlike the API's NestJS errors. The
API accepts the token raw in `Authorization` (how every vendor tool sends it) or as
`Bearer <token>` (how the vendor's generated Go SDK sends it).
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .errors import Unauthorized

TOKEN_LIFETIME = 86400  # seconds, as the vendor's tokens
API_AUDIENCE = "https://api.devcycle.com/"
# Grant types Auth0 knows but the vendor's API client is not allowed to use.
KNOWN_GRANTS = ("authorization_code", "refresh_token", "password", "implicit", "device_code")


@dataclass
class TokenRegistry:
    """Tokens this emulator issued, with their expiry; `clock` is injectable for tests."""

    client_id: str
    client_secret: str
    clock: Callable[[], float] = time.time
    _tokens: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def subject(self) -> str:
        """Who the tokens act as: Auth0 names client-credentials subjects `<client_id>@clients`.

        Vendor behaviour unknown: what DevCycle records as `_createdBy` for API clients.
        """
        return f"{self.client_id}@clients"

    def issue(self) -> str:
        token = secrets.token_urlsafe(32)
        with self._lock:
            now = self.clock()
            self._tokens = {t: exp for t, exp in self._tokens.items() if exp > now}
            self._tokens[token] = now + TOKEN_LIFETIME
        return token

    def is_valid(self, token: str) -> bool:
        with self._lock:
            expiry = self._tokens.get(token)
        return expiry is not None and expiry > self.clock()

    def check(self, authorization: str | None) -> None:
        """Raise 401 unless the header carries a live token, raw or as `Bearer <token>`."""
        if not authorization:
            raise Unauthorized()
        token = authorization.strip()
        scheme, _, rest = token.partition(" ")
        if scheme.lower() == "bearer" and rest:
            token = rest.strip()
        if not self.is_valid(token):
            raise Unauthorized()


def _auth0_error(status: int, error: str, description: str) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


async def _form(request: Request) -> dict[str, str]:
    """The request's fields: form-encoded as documented, JSON also accepted (Auth0 does)."""
    raw = await request.body()
    if "json" in request.headers.get("content-type", ""):
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            return {}
        return {k: str(v) for k, v in data.items()} if isinstance(data, dict) else {}
    return dict(parse_qsl(raw.decode("utf-8", errors="replace"), keep_blank_values=True))


def token_endpoint(registry: TokenRegistry) -> Callable[[Request], Awaitable[Response]]:
    """`POST /oauth/token`: client credentials in, `{access_token, expires_in, token_type}` out."""

    async def endpoint(request: Request) -> Response:
        fields = await _form(request)
        grant = fields.get("grant_type")
        if not grant:
            return _auth0_error(400, "invalid_request", "Missing required parameter: grant_type")
        if grant != "client_credentials":
            if grant in KNOWN_GRANTS:
                description = f"Grant type '{grant}' not allowed for the client."
                return _auth0_error(403, "unauthorized_client", description)
            return _auth0_error(400, "unsupported_grant_type", f"Unsupported grant type: {grant}")
        audience = fields.get("audience")
        # Vendor behaviour unknown: a missing audience falls back to the tenant's default
        # audience in Auth0; the emulator treats it as the API audience.
        if audience and audience.rstrip("/") != API_AUDIENCE.rstrip("/"):
            return _auth0_error(403, "access_denied", f"Service not found: {audience}")
        if not (
            secrets.compare_digest(fields.get("client_id", ""), registry.client_id)
            and secrets.compare_digest(fields.get("client_secret", ""), registry.client_secret)
        ):
            return _auth0_error(401, "access_denied", "Unauthorized")
        return JSONResponse(
            {
                "access_token": registry.issue(),
                "expires_in": TOKEN_LIFETIME,
                "token_type": "Bearer",
            }
        )

    return endpoint
