"""Validation problems for people and for machines: text, JSON, GitHub workflow commands, SARIF.

`validate` finds every problem at once; where it runs decides who reads them. On a terminal a
person reads `file:line:col: message`. In a GitHub Actions job, `github` prints one workflow
command per problem, so each becomes an annotation on its file and line in the pull request's
diff. `sarif` (SARIF 2.1.0) is what GitHub code scanning and other code-review tools import;
`json` is the documented shape for any script.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from reconciler import __version__
from reconciler.errors import Problem

FORMAT_VERSION = 1
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
RULE_ID = "flagsync/invalid-manifest"


def _count(problems: Sequence[Problem]) -> str:
    return f"{len(problems)} problem{'s' if len(problems) != 1 else ''} found"


def render_problems_text(problems: Sequence[Problem]) -> str:
    """`file:line:col: message` per problem, then the count (as `validate` always printed)."""
    return "".join(f"{problem}\n" for problem in problems) + _count(problems) + "\n"


def render_problems_json(problems: Sequence[Problem]) -> str:
    """`{"format_version": 1, "valid": bool, "problems": [{file, line, column, message}]}`."""
    data = {
        "format_version": FORMAT_VERSION,
        "valid": not problems,
        "problems": [
            {"file": p.file, "line": p.line, "column": p.col, "message": p.message}
            for p in problems
        ],
    }
    return json.dumps(data, indent=2) + "\n"


def _escape_data(text: str) -> str:
    """A workflow command's message: %, CR and LF are escaped, as the runner unescapes them."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    """A workflow command's property value: also `:` and `,`, which separate properties."""
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_problems_github(problems: Sequence[Problem]) -> str:
    """`::error file=F,line=L,col=C,title=flagsync validate::message`, one line per problem.

    The runner turns each into an annotation on that line of the pull request's diff (the
    file path must be relative to the repository's root: run `validate` from there)."""
    lines = []
    for p in problems:
        props = ",".join(
            f"{name}={_escape_property(value)}"
            for name, value in (
                ("file", p.file),
                ("line", str(p.line)),
                ("col", str(p.col)),
                ("title", "flagsync validate"),
            )
        )
        lines.append(f"::error {props}::{_escape_data(p.message)}\n")
    return "".join(lines)


def sarif_log(problems: Sequence[Problem]) -> dict[str, Any]:
    """The problems as one SARIF 2.1.0 run of the tool `flagsync`."""
    results = [
        {
            "ruleId": RULE_ID,
            "ruleIndex": 0,
            "level": "error",
            "message": {"text": p.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": p.file.replace("\\", "/")},
                        "region": {"startLine": max(p.line, 1), "startColumn": max(p.col, 1)},
                    }
                }
            ],
        }
        for p in problems
    ]
    rule = {
        "id": RULE_ID,
        "name": "InvalidManifest",
        "shortDescription": {"text": "A flagsync manifest or workspace file is invalid."},
        "fullDescription": {
            "text": "The file breaks the manifest schema or a rule the vendor enforces "
            "(keys, types, splits, references); plan and apply refuse it."
        },
        "defaultConfiguration": {"level": "error"},
    }
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "flagsync",
                        "version": __version__,
                        "rules": [rule],
                    }
                },
                "results": results,
            }
        ],
    }


def render_problems_sarif(problems: Sequence[Problem]) -> str:
    return json.dumps(sarif_log(problems), indent=2) + "\n"


PROBLEM_RENDERERS: dict[str, Callable[[Sequence[Problem]], str]] = {
    "text": render_problems_text,
    "json": render_problems_json,
    "github": render_problems_github,
    "sarif": render_problems_sarif,
}
