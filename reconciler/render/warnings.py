"""Warnings of `validate`: findings that do not make the manifests invalid (a flag past its
`expires` date). Text: `file:line:col: warning: message` on stderr; GitHub: `::warning`
workflow commands (annotations that do not fail the check); JSON: a `warnings` list beside
`problems`; SARIF: results of level `warning`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from reconciler.errors import Problem
from reconciler.render.problems import _escape_data, _escape_property

WARNING_RULE_ID = "flagsync/expired-flag"


def warnings_text(warnings: Sequence[Problem]) -> str:
    return "".join(f"{w.file}:{w.line}:{w.col}: warning: {w.message}\n" for w in warnings)


def with_warnings(rendered: str, output: str, warnings: Sequence[Problem]) -> str:
    """`validate`'s machine output (of no problems) with the warnings added."""
    if not warnings:
        return rendered
    if output == "github":
        lines = []
        for w in warnings:
            props = ",".join(
                f"{name}={_escape_property(value)}"
                for name, value in (
                    ("file", w.file),
                    ("line", str(w.line)),
                    ("col", str(w.col)),
                    ("title", "flagsync validate"),
                )
            )
            lines.append(f"::warning {props}::{_escape_data(w.message)}\n")
        return rendered + "".join(lines)
    data = json.loads(rendered)
    if output == "json":
        data["warnings"] = [
            {"file": w.file, "line": w.line, "column": w.col, "message": w.message}
            for w in warnings
        ]
    elif output == "sarif":
        data["runs"][0]["tool"]["driver"]["rules"].append(
            {
                "id": WARNING_RULE_ID,
                "name": "ExpiredFlag",
                "shortDescription": {"text": "A flag is past its `expires` date."},
                "defaultConfiguration": {"level": "warning"},
            }
        )
        data["runs"][0]["results"] += [
            {
                "ruleId": WARNING_RULE_ID,
                "level": "warning",
                "message": {"text": w.message},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": w.file},
                            "region": {"startLine": w.line, "startColumn": w.col},
                        }
                    }
                ],
            }
            for w in warnings
        ]
    return json.dumps(data, indent=2) + "\n"
