"""HTTP client for PostHog's private REST API: Bearer auth, exceptions-hog errors, pagination.

Built on the shared `ApiClient` (retries, rate limiting, redaction). The personal API key is
sent as `Authorization: Bearer <key>` (PostHog's preferred form) and is registered as a secret,
so it is replaced by `***` in every message.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from reconciler import redact
from reconciler.errors import AnswerShapeError, CredentialsError
from reconciler.providers.bounds import decode_or_none
from reconciler.providers.http import ApiClient, RateLimiter, RetryPolicy

KEY_VARIABLE = "POSTHOG_PERSONAL_API_KEY"
redact.declare_variables(KEY_VARIABLE)
PAGE_SIZE = 1000
"""PostHog's lists are DRF `LimitOffsetPagination` without a `max_limit` (default page 100), so
the server takes any `limit`; 1,000 keeps a page's body moderate while a 10,000-flag project
costs ten list calls. `next` is followed until null either way, so a server that caps the
limit lower still yields every row."""
MAX_PAGES = 1000
"""The most pages of one list read (a million rows): a server whose `next` never ends, or
whose `count` claims more, is an error rather than an endless download."""
PER_MINUTE, PER_HOUR = 480, 4800
"""PostHog's documented CRUD limits per personal API key (480/minute and 4,800/hour)."""
THROTTLE_WAIT = re.compile(r"available in (\d+(?:\.\d+)?) seconds?")
"""PostHog's 429 detail without `Retry-After`: Django REST framework's `Throttled` message,
"Request was throttled. Expected available in N seconds." (rest_framework/exceptions.py)."""


def throttle_wait(response: httpx.Response) -> float | None:
    """The seconds PostHog's 429 detail asks to wait, or None when it does not say."""
    body = decode_or_none(response)
    detail = str(body.get("detail", "")) if isinstance(body, dict) else ""
    match = THROTTLE_WAIT.search(detail)
    return float(match.group(1)) if match else None


def personal_api_key() -> str:
    """The personal API key from POSTHOG_PERSONAL_API_KEY (never from files)."""
    key = os.environ.get(KEY_VARIABLE) or ""
    if not key:
        raise CredentialsError(
            f"PostHog credentials missing: set {KEY_VARIABLE} to a personal API key (PostHog: "
            "Settings -> Personal API keys) with the feature_flag:read, feature_flag:write, "
            "cohort:read and project:read scopes"
        )
    return key


def default_limiter(per_minute: int | None, per_hour: int | None) -> RateLimiter:
    """The workspace's limits, or PostHog's documented ones when it sets none."""
    if per_minute is None and per_hour is None:
        per_minute, per_hour = PER_MINUTE, PER_HOUR
    return RateLimiter(per_minute, per_hour)


class PostHogClient(ApiClient):
    """One PostHog instance (US, EU or self-hosted) with one personal API key."""

    vendor = "PostHog"

    def __init__(
        self,
        api_url: str,
        api_key: str,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        retry: RetryPolicy | None = None,
        limiter: RateLimiter | None = None,
        on_retry: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(
            api_url,
            headers={"Authorization": f"Bearer {api_key}"},
            secrets=[api_key],
            timeout=timeout,
            transport=transport,
            retry=retry,
            limiter=limiter,
            on_retry=on_retry,
        )

    def vendor_message(self, body: Any) -> str | None:
        """exceptions-hog says `{type, code, detail, attr}`; `attr` names the field."""
        if not isinstance(body, dict) or not body.get("detail"):
            return None
        detail = str(body["detail"])
        attr = body.get("attr")
        return f"{detail} (field: {attr})" if attr else detail

    def throttle_wait(self, response: httpx.Response) -> float | None:
        return throttle_wait(response)

    def list_all(self, path: str, params: dict[str, Any] | None = None) -> list[Any]:
        """Every row of a limit/offset list, following `next` until it is null.

        Only `limit` and `offset` are taken from `next`: the request goes to the configured
        base URL, so a `next` pointing at another host never receives the key.
        """
        return [row for page in self.pages(path, params) for row in page]

    def pages(self, path: str, params: dict[str, Any] | None = None) -> Iterator[list[Any]]:
        """`list_all`'s rows a page at a time, each requested when the previous one was taken
        (a reader that lets go of each page holds one page, not the whole list)."""
        query: dict[str, Any] = {**(params or {}), "limit": PAGE_SIZE, "offset": 0}
        call = f"GET {path}"
        for _ in range(MAX_PAGES):
            body = self.json("GET", path, params=query)
            if not isinstance(body, dict) or not isinstance(body.get("results"), list):
                raise AnswerShapeError(call, "expected a paginated list ({count, results})")
            following = _next_page(body.get("next"))
            if following is None:
                yield body["results"]
                return
            if not body["results"]:
                raise AnswerShapeError(
                    call, "an empty page points to a next one: the list never ends"
                )
            if _offset(following) <= _offset(query):
                raise AnswerShapeError(
                    call,
                    f"the next page (offset {following.get('offset')}) does not move past this "
                    f"one (offset {query.get('offset')}): the list would never end",
                )
            yield body["results"]  # a page is handed out once its link is known to move on
            query = {**query, **following}
        raise AnswerShapeError(
            call, f"more than {MAX_PAGES:,} pages of {PAGE_SIZE:,}: more than flagsync reads"
        )


def _offset(query: dict[str, Any]) -> int:
    try:
        return int(query.get("offset") or 0)
    except ValueError:
        return -1


def _next_page(link: Any) -> dict[str, Any] | None:
    if not isinstance(link, str) or not link:
        return None
    found = parse_qs(urlsplit(link).query)
    page: dict[str, Any] = {name: found[name][0] for name in ("limit", "offset") if name in found}
    return page or None
