"""One model flag from a flag's copies in several PostHog projects.

PostHog keeps a flag per project, so the flag-level fields (description, tags, variations and
their payloads, settings) exist once per project. When the copies agree, that is the flag's
value. When they differ (someone edited one project in the UI), the merged value names the
difference in a form no manifest writes: the plan then shows a change of that field, and
apply rewrites it in every project, which is exactly what brings the copies back in line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from reconciler.model import Flag, Variation

T = TypeVar("T")
DIFFERS = "<differs between projects>"


def merge_projects(copies: dict[str, Flag]) -> Flag:
    """The model of a flag from its per-environment (per-project) models, in workspace order."""
    first = next(iter(copies.values()))
    keys = list(dict.fromkeys(key for flag in copies.values() for key in flag.variations))
    return first.model_copy(
        update={
            "description": _agree(
                {env: f.description for env, f in copies.items()}, _describe_strings
            ),
            "tags": _agree({env: f.tags for env, f in copies.items()}, _differing_tags),
            "payload": _agree({env: f.payload for env, f in copies.items()}, _differing),
            "settings": _agree({env: f.settings for env, f in copies.items()}, _differing),
            "variations": {
                key: _agree(
                    {env: f.variations.get(key) for env, f in copies.items()}, _differing_variation
                )
                for key in keys
            },
            "environments": {
                env: config for flag in copies.values() for env, config in flag.environments.items()
            },
        }
    )


def _agree(values: dict[str, T], differing: Callable[[dict[str, T]], T]) -> T:
    distinct = list(values.values())
    if all(value == distinct[0] for value in distinct[1:]):
        return distinct[0]
    return differing(values)


def _describe_strings(values: dict[str, str]) -> str:
    shown = ", ".join(f"{env} {value!r}" for env, value in values.items())
    return f"<differs between projects: {shown}>"


def _differing_tags(values: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    shown = ", ".join(f"{env} [{', '.join(tags)}]" for env, tags in values.items())
    return (f"<differs between projects: {shown}>",)


def _differing(values: dict[str, Any]) -> Any:
    return {DIFFERS: values}


def _differing_variation(values: dict[str, Variation | None]) -> Variation:
    """Only the parts that differ are marked: a name, a payload, or the variation missing."""
    present = {env: v for env, v in values.items() if v is not None}
    if len(present) < len(values):
        missing = ", ".join(env for env in values if env not in present)
        return Variation(name=f"<differs between projects: missing in {missing}>")
    return Variation(
        name=_agree({env: v.name for env, v in present.items()}, _describe_strings),
        payload=_agree({env: v.payload for env, v in present.items()}, _differing),
    )
