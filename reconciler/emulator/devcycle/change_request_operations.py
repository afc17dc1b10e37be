"""The three operations a change request carries, each applied as its direct route applies it.

A change request's body is checked twice with the same code a direct write runs: when the
request is created (its DTO, then a dry run on a draft of the feature as it is then, so a change
that could never apply is refused at once) and when it is applied (against the feature as it is
now, which may have changed since; a failure then changes nothing).
"""

from __future__ import annotations

from typing import Any

from .errors import BadRequest
from .feature_status import apply_status
from .features import Draft, apply_update
from .static_configuration import apply_static_configuration
from .validation import validate_body

DTOS = {
    "featureUpdate": "UpdateFeatureDto",
    "featureStatusUpdate": "UpdateFeatureStatusDto",
    "featureStaticConfigurationUpdate": "UpdateStaticConfigurationDto",
}


def validated_change(operation: str, body: Any) -> dict[str, Any]:
    """The request's `body` checked against its operation's DTO; 400 naming `body.<field>`."""
    # Vendor behaviour unknown: the wording; NestJS's nested-path style is used.
    try:
        return validate_body(body, DTOS[operation])
    except BadRequest as error:
        messages = error.message if isinstance(error.message, list) else [error.message]
        raise BadRequest([f"body.{message}" for message in messages]) from error


def apply_operation(draft: Draft, operation: str, body: Any) -> None:
    """Apply a change request's body to a draft exactly as the operation's route would."""
    change = validated_change(operation, body)
    if operation == "featureUpdate":
        apply_update(draft, change)
    elif operation == "featureStatusUpdate":
        apply_status(draft, change)
    else:
        apply_static_configuration(draft, change)
