"""What `validate` says about flags' lifecycle fields, located at their lines.

- a flag past its `expires` date is a warning (the manifests are still valid: the flag should
  be retired, not the pull request blocked);
- where the workspace's policy lists `require_on_all_flags`, a flag without one of those
  fields is a problem (`expires` is also met by `permanent: true`), so existing flags are held
  to the rule too, not only new ones as `require_on_new_flags` does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from reconciler.errors import Problem
from reconciler.lifecycle import expires_within, expiry, is_expired
from reconciler.manifest.declared import DeclaredManifests
from reconciler.manifest.loader import manifest_files
from reconciler.manifest.source import Document, display_name, read_yaml


@dataclass(frozen=True)
class DatedFlag:
    key: str
    expires: date
    owner: str | None
    file: str
    line: int


def _may_name(path: Path, field: str) -> bool:
    """Whether the file's text could declare `field` as a key. YAML spells a key either as
    written or through a double-quoted escape (`"\\x65xpires"`), so a file with neither the word
    nor a backslash cannot: it need not be parsed again (a plan asks this of every file)."""
    try:
        text = path.read_bytes()
    except OSError:
        return True  # read_yaml words the problem
    return field.encode() in text or b"\\" in text


def _flags(
    workspace: DeclaredManifests, naming: str | None = None
) -> list[tuple[Document, int, dict[str, Any]]]:
    """Every flag mapping with a string key, with its document and index; with `naming`, only
    files that may declare that field are parsed (the others cannot hold what is looked for)."""
    files, _ = manifest_files(workspace)
    found = []
    for path in files:
        if naming is not None and not _may_name(path, naming):
            continue
        document = read_yaml(path, display_name(path))
        if not isinstance(document, Document) or not isinstance(document.data, dict):
            continue
        for index, flag in enumerate(document.data.get("flags") or []):
            if isinstance(flag, dict) and isinstance(flag.get("key"), str):
                found.append((document, index, flag))
    return found


def _missing(field: str, flag: dict[str, Any]) -> bool:
    if field == "expires":
        return not flag.get("expires") and flag.get("permanent") is not True
    return not flag.get(field)


def lifecycle_findings(
    workspace: DeclaredManifests, required: tuple[str, ...], on: date
) -> tuple[list[Problem], list[Problem]]:
    """(problems: required fields missing, warnings: flags past their date)."""
    problems: list[Problem] = []
    warnings: list[Problem] = []
    naming = None if required else "expires"  # only expired flags to find: files naming it
    for document, index, flag in _flags(workspace, naming):
        key = flag["key"]
        missing = [field for field in required if _missing(field, flag)]
        if missing:
            hint = " (or `permanent: true`)" if "expires" in missing else ""
            problems.append(
                document.problem(
                    ["flags", index, "key"],
                    f"flag '{key}' has no {', '.join(missing)}{hint}: the workspace's policy "
                    "requires it on every flag (require_on_all_flags)",
                )
            )
        if is_expired(flag, on):
            owner = f"; owner: {flag['owner']}" if flag.get("owner") else ""
            warnings.append(
                document.problem(
                    ["flags", index, "expires"],
                    f"flag '{key}' expired on {flag['expires']}{owner}: remove it from code "
                    "and manifests (`flagsync refs` lists its references), or move the date",
                )
            )
    return problems, warnings


def dated_flags(workspace: DeclaredManifests) -> list[DatedFlag]:
    """Every flag with a valid `expires`, in manifest order."""
    dated = []
    for document, index, flag in _flags(workspace, "expires"):
        when = expiry(flag)
        if when is not None:
            line, _ = document.locate(["flags", index], False)
            owner = str(flag["owner"]) if flag.get("owner") else None
            dated.append(DatedFlag(flag["key"], when, owner, document.name, line))
    return dated


def expiring(
    workspace: DeclaredManifests, days: int, on: date
) -> tuple[list[DatedFlag], list[DatedFlag]]:
    """(expired, expiring within `days` days), each sorted by date."""
    dated = sorted(dated_flags(workspace), key=lambda f: (f.expires, f.key))
    expired = [f for f in dated if is_expired({"expires": f.expires}, on)]
    soon = [f for f in dated if expires_within({"expires": f.expires}, days, on)]
    return expired, soon
