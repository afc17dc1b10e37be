"""The schema catalog (schemas/catalog.json, the entries proposed to SchemaStore): editors pick
the right schema for a file from its name alone, with no modeline, and every URL is the stable
`$id` of a schema in schemas/."""

from __future__ import annotations

import json
from fnmatch import fnmatch
from pathlib import Path

import jsonschema
import pytest

from reconciler.manifest.fast_yaml import load_plain

REPO = Path(__file__).resolve().parents[1]
CATALOG = json.loads((REPO / "schemas/catalog.json").read_text())
SCHEMAS = {
    schema["$id"]: schema
    for schema in (json.loads(p.read_text()) for p in (REPO / "schemas").glob("*.schema.json"))
}


def _schema_for(name: str) -> dict[str, object] | None:
    """The schema an editor would choose for a file called `name`, as SchemaStore matches."""
    found = [
        entry["url"]
        for entry in CATALOG["schemas"]
        if any(fnmatch(name, pattern) for pattern in entry["fileMatch"])
    ]
    assert len(found) <= 1, f"{name} matches several schemas: {found}"
    return SCHEMAS[found[0]] if found else None


def test_every_catalog_url_is_the_id_of_a_published_schema() -> None:
    for entry in CATALOG["schemas"]:
        assert entry["url"] in SCHEMAS, entry["url"]
    for schema_id in SCHEMAS:
        assert schema_id.startswith("https://flagsync.dev/schemas/")


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("flagsync.yaml", "flagsync workspace"),
        ("checkout.flags.yaml", "flagsync manifest"),
        ("mobile.flags.yml", "flagsync manifest"),
        ("release.flagsync-plan.json", "flagsync plan, format 1"),
        ("docker-compose.yaml", None),
        ("flags.yaml", None),
    ],
)
def test_file_names_choose_their_schema(name: str, title: str | None) -> None:
    schema = _schema_for(name)
    assert (schema["title"] if schema else None) == title


def test_the_examples_validate_against_the_schema_their_conventional_name_selects() -> None:
    for example in (REPO / "examples").glob("*/flagsync.yaml"):
        _validate("flagsync.yaml", example)
    for manifest in (REPO / "examples").glob("*/flags/*.yaml"):
        _validate(f"{manifest.stem}.flags.yaml", manifest)


def _validate(name: str, path: Path) -> None:
    schema = _schema_for(name)
    assert schema is not None
    jsonschema.Draft202012Validator(schema).validate(load_plain(path.read_text()))
