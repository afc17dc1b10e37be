"""The emulator shares no code with flagsync: a translation bug cannot hide on both sides."""

from __future__ import annotations

import ast
from pathlib import Path

import reconciler.emulator.posthog as package

PACKAGE_DIR = Path(package.__file__).parent


def test_emulator_imports_nothing_from_the_rest_of_reconciler() -> None:
    offenders = []
    for path in sorted(PACKAGE_DIR.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                absolute = node.level == 0 and (node.module or "").startswith("reconciler")
                if absolute or node.level > 1:
                    offenders.append(f"{path.name}: from {'.' * node.level}{node.module}")
            elif isinstance(node, ast.Import):
                offenders += [
                    f"{path.name}: import {alias.name}"
                    for alias in node.names
                    if alias.name.startswith("reconciler")
                ]
    assert offenders == []
