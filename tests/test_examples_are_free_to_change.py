"""The user-facing examples are free to change (the quickstart invites editing them): tests that
assert exact plans use the frozen copies in tests/fixtures/examples, and only the README test
runs the examples themselves, asserting no exact content."""

from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent
USES_EXAMPLE = re.compile(
    r'REPO\s*/\s*"examples"\s*/\s*"(devcycle|posthog)"|\bexamples/(devcycle|posthog)/flags'
)


def test_no_test_reads_the_user_facing_examples_except_the_readme_test() -> None:
    offenders = [
        str(path.relative_to(TESTS))
        for path in TESTS.rglob("*.py")
        if path.name not in {"test_readme.py", Path(__file__).name}
        and USES_EXAMPLE.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
