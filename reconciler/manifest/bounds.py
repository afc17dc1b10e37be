"""How much a YAML file may ask of flagsync, and which values a manifest may hold.

flagsync reads manifests from pull requests, in CI, with production credentials at hand: a file
must not be able to exhaust the runner. Each bound below is far above what a real workspace
needs (10,000 flags are about 6 MB of YAML, in many files) and refuses, as a located problem,
what only an accident or an attack produces: a "billion laughs" document whose aliases expand
550 bytes into gigabytes, nesting thousands of levels deep, a file of hundreds of megabytes.

Values: a manifest becomes JSON in the vendor's API, and JSON has no NaN or infinity; numbers
beyond 2**53 do not survive a JavaScript or Go client (both read JSON numbers as doubles); a
lone surrogate (`"\\ud800"`) is not a character and cannot be encoded as UTF-8 at all.
"""

from __future__ import annotations

import math
from typing import Any

MAX_FILE_BYTES = 16_000_000
"""A manifest or workspace file larger than this is refused unread (about 25,000 flags)."""

MAX_DEPTH = 200
"""Collections nested deeper than this are refused. A flag's deepest part, an audience, sits
about ten levels down and each nested `all`/`any` group adds two (see `MAX_AUDIENCE_DEPTH`)."""

MAX_AUDIENCE_DEPTH = 50
"""Nested `all`/`any` groups in one audience: far more than any targeting rule needs, and well
inside `MAX_DEPTH`, so every later step (schema check, plan, the vendor's API) handles it."""

ALIAS_ALLOWANCE = 100_000
"""Values aliases may add beyond the values written out in the file: reusing a block of targets
in a hundred flags is fine, a document that multiplies itself through aliases is not."""

MAX_SAFE_INTEGER = 2**53 - 1
"""The largest integer every JSON reader keeps exactly (JavaScript's Number.MAX_SAFE_INTEGER)."""

MAX_ENTRIES_PER_FILE = 100_000
"""Entries (flags, audiences, ...) in one section of one file: a 16 MB file holds about 60,000
flags written out in blocks, but 700,000 as a one-line flow list of bare keys, which would take
gigabytes to build; no vendor project holds that many."""

MAX_PROBLEMS_PER_FILE = 200
"""Problems reported for one file before the rest are counted, not listed: a generated file
with a million broken entries gets a readable answer in bounded time."""


class Refused(Exception):
    """A file or value beyond a bound, at a 1-based line and column."""

    def __init__(self, message: str, line: int = 1, col: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.col = col


def value_problem(value: Any) -> str | None:
    """Why a scalar read from YAML cannot be used in a manifest, or None when it can."""
    kind = type(value)
    if kind is float:
        if math.isnan(value):
            return "NaN (not a number) cannot be used in a manifest: JSON has no NaN"
        if math.isinf(value):
            return (
                "an infinite number (or one too large for a 64-bit float) cannot be used in a "
                "manifest: JSON has no infinity"
            )
        return None
    if kind is int:
        if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            return None
        return (
            "the number is out of range: whole numbers must lie within ±9007199254740991 "
            "(2**53 - 1), the largest a JSON reader keeps exactly; quote it to keep it as text"
        )
    if kind is str and not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "a lone surrogate (an escape like \\ud800) is not a character: remove it"
    return None


def nesting_message() -> str:
    return f"nested deeper than {MAX_DEPTH} levels: flagsync refuses such a document"


def alias_message() -> str:
    return (
        "aliases expand this document beyond "
        f"{ALIAS_ALLOWANCE:,} values more than it writes out: flagsync refuses it "
        "(a 'billion laughs' document)"
    )


def entries_message(count: int) -> str:
    return f"more than {MAX_ENTRIES_PER_FILE:,} entries in one section of one file: split it"


def size_message(size: int) -> str:
    return (
        f"the file is {size:,} bytes, larger than the {MAX_FILE_BYTES:,} flagsync reads: "
        "split it into several manifest files"
    )
