"""PostHog's error bodies, as exceptions the handlers raise.

PostHog renders every DRF exception through drf-exceptions-hog
(`EXCEPTION_HANDLER = exceptions_hog.exception_handler`), so every error body is
`{"type", "code", "detail", "attr"}`. Handlers raise `ApiError`; the HTTP layer renders it, so
no handler builds an error body by hand and every error has the vendor's shape.

How exceptions-hog fills the four keys (PostHog/drf-exceptions-hog `handler.py`):
- `type` comes from the DRF exception class: ValidationError -> `validation_error`,
  AuthenticationFailed/NotAuthenticated/PermissionDenied -> `authentication_error`,
  NotFound/MethodNotAllowed/ParseError/UnsupportedMediaType -> `invalid_request`,
  Throttled -> `throttled_error`, and any other APIException -> `server_error` (this is why
  PostHog's own `Conflict` 409 is typed `server_error`).
- `code` is the first ErrorDetail's code, with DRF's generic `invalid` renamed `invalid_input`.
- `attr` is the field path joined with `__`; `non_field_errors` becomes null.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error answered with an exceptions-hog body (or, when `body` is None, no body at all)."""

    def __init__(
        self,
        status: int,
        type_: str,
        code: str,
        detail: str,
        attr: str | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.type = type_
        # exceptions-hog renames DRF's default validation code so clients see the same
        # `invalid_input` whatever field raised it.
        self.code = "invalid_input" if code == "invalid" else code
        self.detail = detail
        self.attr = attr

    def body(self) -> dict[str, Any]:
        """The JSON body PostHog sends for this error."""
        return {"type": self.type, "code": self.code, "detail": self.detail, "attr": self.attr}


def validation_error(detail: str, attr: str | None = None, code: str = "invalid") -> ApiError:
    """400 from a serializer (DRF ValidationError). `attr=None` is an object-level error."""
    return ApiError(400, "validation_error", code, detail, attr)


def required(attr: str) -> ApiError:
    """DRF's message for a missing required field."""
    return validation_error("This field is required.", attr, "required")


def not_found(detail: str = "Not found.") -> ApiError:
    """404. DRF's default text for a missing object is "Not found."."""
    return ApiError(404, "invalid_request", "not_found", detail)


def not_authenticated() -> ApiError:
    """401 when no credential was sent (DRF NotAuthenticated)."""
    return ApiError(
        401,
        "authentication_error",
        "not_authenticated",
        "Authentication credentials were not provided.",
    )


def authentication_failed(detail: str = "Incorrect authentication credentials.") -> ApiError:
    """401 when a credential was sent but is wrong (DRF AuthenticationFailed)."""
    return ApiError(401, "authentication_error", "authentication_failed", detail)


def method_not_allowed(method: str) -> ApiError:
    """405 from DRF's dispatcher for a verb the view does not implement."""
    return ApiError(405, "invalid_request", "method_not_allowed", f'Method "{method}" not allowed.')


def conflict(detail: str) -> ApiError:
    """409 `posthog.exceptions.Conflict`: an APIException with no exceptions-hog type mapping,
    so exceptions-hog falls back to `server_error`."""
    return ApiError(409, "server_error", "conflict", detail)


def parse_error(detail: str) -> ApiError:
    """400 DRF ParseError for a body that is not valid JSON."""
    return ApiError(400, "invalid_request", "parse_error", f"JSON parse error - {detail}")


def unsupported_media_type(media_type: str) -> ApiError:
    """415 DRF UnsupportedMediaType."""
    return ApiError(
        415,
        "invalid_request",
        "unsupported_media_type",
        f'Unsupported media type "{media_type}" in request.',
    )


def server_error() -> ApiError:
    """500 for an unexpected failure: exceptions-hog's default body for non-DRF exceptions."""
    return ApiError(500, "server_error", "error", "A server error occurred.")
