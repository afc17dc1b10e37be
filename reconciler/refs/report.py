"""What the references say about the manifests: declared flags no code names (candidates for
removal), keys code names that no manifest declares, and where expired flags are still used.

A reference names a flag by its key or, on DevCycle, by one of its variables' keys (SDKs read
variables, not features): both lead to the flag.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from reconciler.lifecycle import expiry, is_expired
from reconciler.refs.scan import Reference


@dataclass(frozen=True)
class DeclaredFlag:
    key: str
    file: str = ""
    owner: str | None = None
    expires: date | None = None
    permanent: bool = False
    variables: tuple[str, ...] = ()


@dataclass
class RefsReport:
    scanned: int
    references: list[tuple[Reference, str | None]]
    """Each reference with the flag it leads to (None: declared nowhere)."""
    unreferenced: list[DeclaredFlag] = field(default_factory=list)
    undeclared: dict[str, list[Reference]] = field(default_factory=dict)
    expired: list[tuple[DeclaredFlag, list[Reference]]] = field(default_factory=list)
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        def where(ref: Reference) -> dict[str, Any]:
            return {"file": ref.file, "line": ref.line, "column": ref.column, "key": ref.key}

        return {
            "format_version": 1,
            "scanned_files": self.scanned,
            "references": [
                {**where(ref), "flag": flag, "pattern": ref.pattern}
                for ref, flag in self.references
            ],
            "unreferenced": [
                {"key": f.key, "file": f.file, "owner": f.owner, "permanent": f.permanent}
                for f in self.unreferenced
            ],
            "undeclared": {key: [where(r) for r in refs] for key, refs in self.undeclared.items()},
            "expired": [
                {
                    "key": f.key,
                    "expires": f.expires.isoformat() if f.expires else None,
                    "owner": f.owner,
                    "references": [where(r) for r in refs],
                }
                for f, refs in self.expired
            ],
        }


def declared_flag(key: str, meta: dict[str, Any], variables: tuple[str, ...]) -> DeclaredFlag:
    return DeclaredFlag(
        key=key,
        file=str(meta.get("file", "")),
        owner=str(meta["owner"]) if meta.get("owner") else None,
        expires=expiry(meta),
        permanent=meta.get("permanent") is True,
        variables=variables,
    )


def build_report(
    declared: list[DeclaredFlag], references: list[Reference], scanned: int, on: date
) -> RefsReport:
    by_key = {flag.key: flag for flag in declared}
    by_variable = {var: flag.key for flag in declared for var in flag.variables}
    resolved = [
        (ref, ref.key if ref.key in by_key else by_variable.get(ref.key)) for ref in references
    ]
    used: dict[str, list[Reference]] = {}
    report = RefsReport(scanned=scanned, references=resolved)
    for ref, flag in resolved:
        if flag is None:
            report.undeclared.setdefault(ref.key, []).append(ref)
        else:
            used.setdefault(flag, []).append(ref)
    report.unreferenced = [flag for flag in declared if flag.key not in used]
    report.expired = [
        (flag, used.get(flag.key, []))
        for flag in declared
        if flag.expires is not None and is_expired({"expires": flag.expires}, on)
    ]
    return report


def _at(ref: Reference) -> str:
    return f"{ref.file}:{ref.line}:{ref.column}"


def render_text(report: RefsReport) -> str:
    used = len({flag for _, flag in report.references if flag})
    out = [
        f"Scanned {report.scanned} files in {report.seconds:.2f} s: "
        f"{len(report.references)} references, to {used} declared flags."
    ]
    if report.expired:
        out.append("\nExpired flags (past `expires`):")
        for flag, refs in report.expired:
            owner = f", owner {flag.owner}" if flag.owner else ""
            state = f"{len(refs)} reference(s)" if refs else "no references left: remove it"
            out.append(f"  {flag.key} (expired {flag.expires}{owner}): {state}")
            out += [f"    {_at(ref)}" for ref in refs]
    if report.unreferenced:
        out.append("\nDeclared, referenced nowhere (candidates for removal):")
        for flag in report.unreferenced:
            note = " (permanent)" if flag.permanent else ""
            out.append(f"  {flag.key}{note}  {flag.file}".rstrip())
    if report.undeclared:
        out.append("\nNamed in code, declared in no manifest:")
        for key, refs in report.undeclared.items():
            out.append(f"  {key}: " + ", ".join(_at(ref) for ref in refs))
    return "\n".join(out) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render_markdown(report: RefsReport) -> str:
    out = [f"### Flag references\n\nScanned {report.scanned} files.\n"]
    if report.expired:
        out += [
            "**Expired flags**\n",
            "| flag | expired | owner | references |",
            "|---|---|---|---|",
        ]
        for flag, refs in report.expired:
            where = "<br>".join(f"`{_at(ref)}`" for ref in refs) or "none: remove it"
            out.append(f"| `{flag.key}` | {flag.expires} | {_cell(flag.owner or '')} | {where} |")
        out.append("")
    if report.unreferenced:
        out += ["**Referenced nowhere** (candidates for removal)\n", "| flag | file |", "|---|---|"]
        out += [
            f"| `{f.key}` | {f'`{f.file}`' if f.file else '(experiment)'} |"
            for f in report.unreferenced
        ]
        out.append("")
    if report.undeclared:
        out += ["**Declared in no manifest**\n", "| key | references |", "|---|---|"]
        for key, refs in report.undeclared.items():
            out.append(f"| `{key}` | " + "<br>".join(f"`{_at(r)}`" for r in refs) + " |")
        out.append("")
    if not (report.expired or report.unreferenced or report.undeclared):
        out.append("Every declared flag is referenced, and code names no undeclared key.\n")
    return "\n".join(out)


def render_json(report: RefsReport) -> str:
    return json.dumps(report.to_json(), indent=2) + "\n"


RENDERERS = {"text": render_text, "markdown": render_markdown, "json": render_json}
