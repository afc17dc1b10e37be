"""DevCycle's error bodies, as exceptions the handlers raise.

DevCycle's Management API is a NestJS service: every error body is
`{"statusCode": N, "message": ..., "error": "<reason phrase>"}` (409 adds `errorType`). Handlers
raise one of these exceptions; the HTTP layer turns it into exactly that body, so no handler
builds an error response by hand and every error has the vendor's shape.
"""

from __future__ import annotations

from typing import Any

REASONS: dict[int, str] = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    412: "Precondition Failed",
    500: "Internal Server Error",
}


class ApiError(Exception):
    """An error answered with the vendor's `{statusCode, message, error}` body."""

    def __init__(self, status: int, message: str | list[str], **extra: Any) -> None:
        super().__init__(message if isinstance(message, str) else "; ".join(message))
        self.status = status
        self.message = message
        self.extra = extra

    def body(self) -> dict[str, Any]:
        """The JSON body the vendor sends for this error."""
        return {
            "statusCode": self.status,
            "message": self.message,
            "error": REASONS.get(self.status, "Error"),
            **self.extra,
        }


class BadRequest(ApiError):
    """400. `message` is a list of class-validator style strings (a string for malformed JSON)."""

    def __init__(self, messages: list[str] | str) -> None:
        super().__init__(400, messages)


class Unauthorized(ApiError):
    """401 for a missing, unknown or expired token."""

    def __init__(self) -> None:
        super().__init__(401, "Unauthorized")


class NotFound(ApiError):
    """404 in the vendor's wording: the key (or id) the caller used, quoted."""

    def __init__(self, key: str) -> None:
        super().__init__(404, f"Item with key '{key}' not found")


class Conflict(ApiError):
    """409 for a key already taken; `errorType` names what kind of key (ERR_DUPE_*_KEY)."""

    def __init__(self, key: str, error_type: str) -> None:
        super().__init__(409, f"Duplicate key '{key}'", errorType=error_type)


class CannotDeleteLast(ApiError):
    """405 when deleting the last project, environment or SDK key."""

    def __init__(self) -> None:
        super().__init__(405, "Cannot DELETE last item")


class PreconditionFailed(ApiError):
    """412 when an object is still referenced or does not belong where it is used."""

    def __init__(self, message: str) -> None:
        super().__init__(412, message)
