"""The `audiences:` and `custom_properties:` sections of manifests: where each item sits, and
their models.

A custom property declares a key of the SDK user's custom data and its type; a reusable audience
is a named set of filters that targets use with `audience: <key>`. Custom filters on a declared
property take its type. Which vendor has them, and their rules, is the vendor's manifest rules'
business (`reconciler.manifest.provider_rules`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.errors import Problem
from reconciler.manifest.build import build_audience
from reconciler.manifest.source import Document
from reconciler.model import Audience, CustomProperty, Filter, Flag, FlagSet, ReusableAudience

AUDIENCES = "audiences"
CUSTOM_PROPERTIES = "custom_properties"


@dataclass(frozen=True)
class SectionSite:
    """One item of a top-level section (`audiences` or `custom_properties`) and where it is."""

    document: Document
    section: str
    index: int
    data: dict[str, Any]

    def problem(self, path: list[str | int], message: str, at_key: bool = False) -> Problem:
        return self.document.problem([self.section, self.index, *path], message, at_key)

    def at(self, path: list[str | int]) -> str:
        line, col = self.document.locate([self.section, self.index, *path])
        return f"{self.document.name}:{line}:{col}"


def section_sites(documents: list[Document], section: str) -> list[SectionSite]:
    """Every item of `section` in every document, in file order."""
    return [
        SectionSite(document, section, index, item)
        for document in documents
        for index, item in enumerate(document.data.get(section) or [])
    ]


def property_key(data: dict[str, Any]) -> str:
    return str(data.get("property_key", data["key"]))


# ---------------------------------------------------------------------------------------------
# model


def build_custom_property(data: dict[str, Any]) -> CustomProperty:
    """Defaults explicit: the name and the SDK's property key default to the key."""
    return CustomProperty(
        key=data["key"],
        name=data.get("name", data["key"]),
        property_key=property_key(data),
        type=data["type"],
    )


def build_reusable_audience(data: dict[str, Any]) -> ReusableAudience:
    return ReusableAudience(
        key=data["key"],
        name=data.get("name", data["key"]),
        description=data.get("description", ""),
        audience=build_audience(data["filters"]),
    )


def with_declared_types(flags: FlagSet) -> FlagSet:
    """Custom filters on a declared property take its type (a filter without values, like
    `exists`, has no value to infer it from)."""
    if not flags.custom_properties:
        return flags
    types = {p.property_key: p.type for p in flags.custom_properties.values()}

    def typed(audience: Audience) -> Audience:
        return audience.model_copy(
            update={"filters": tuple(_typed(f, types) for f in audience.filters)}
        )

    return flags.model_copy(
        update={
            "flags": {key: _typed_flag(flag, typed) for key, flag in flags.flags.items()},
            "audiences": {
                key: audience.model_copy(update={"audience": typed(audience.audience)})
                for key, audience in flags.audiences.items()
            },
        }
    )


def _typed(item: Filter, types: Mapping[str, str]) -> Filter:
    if item.filters is not None:
        return item.model_copy(update={"filters": tuple(_typed(f, types) for f in item.filters)})
    declared = types.get(item.data_key or "")
    if item.field == "custom" and declared is not None:
        return item.model_copy(update={"data_key_type": declared})
    return item


def _typed_flag(flag: Flag, typed: Any) -> Flag:
    environments = {
        env: config.model_copy(
            update={
                "targets": tuple(
                    target.model_copy(update={"audience": typed(target.audience)})
                    for target in config.targets
                )
            }
        )
        for env, config in flag.environments.items()
    }
    return flag.model_copy(update={"environments": environments})
