"""How code names a flag: a regular expression whose group `key` (or else its first group)
captures the flag's key, applied to files with some extensions.

Patterns run on bytes (no decoding of 50,000 files), and each may carry a `trigger`, a short
byte string every match contains: a file without it is skipped before any regex runs, which is
most of a repository.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

KEY_LITERAL = rb"""(?P<q>["'`])(?P<key>[A-Za-z0-9_$][A-Za-z0-9_.:/$-]{0,199})(?P=q)"""
"""A key in a string literal: quotes of any of the common languages, no interpolation."""

JS = (".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs", ".vue", ".svelte")
PYTHON = (".py",)
GO = (".go",)
JAVA = (".java",)
KOTLIN = (".kt", ".kts")
RUBY = (".rb", ".erb")
SWIFT = (".swift",)
CSHARP = (".cs",)
PHP = (".php",)
ALL_LANGUAGES = JS + PYTHON + GO + JAVA + KOTLIN + RUBY + SWIFT + CSHARP + PHP


@dataclass(frozen=True)
class Pattern:
    name: str
    regex: re.Pattern[bytes]
    extensions: tuple[str, ...] | None = None
    """File name endings it applies to; None: every file scanned."""
    trigger: bytes | None = None

    def key(self, match: re.Match[bytes]) -> str:
        groups = match.groupdict()
        raw = groups.get("key") if "key" in groups else match.group(1)
        return (raw or b"").decode("utf-8", "replace")


def calls(names: list[str], argument_prefix: bytes = rb"") -> bytes:
    """`name(` for any of `names`, then `argument_prefix`, then the key's literal."""
    alternatives = b"|".join(re.escape(name.encode()) for name in names)
    return rb"\b(?:" + alternatives + rb")\s*\(\s*" + argument_prefix + KEY_LITERAL


def compile_pattern(
    name: str, regex: bytes, extensions: tuple[str, ...] | None, trigger: bytes | None
) -> Pattern:
    return Pattern(name, re.compile(regex), extensions, trigger)


def user_pattern(index: int, regex: str, files: list[str] | None) -> Pattern:
    """A pattern from the workspace file; raises `re.error` or ValueError when unusable."""
    compiled = re.compile(regex.encode("utf-8"))
    if compiled.groups < 1:
        raise ValueError("needs a group capturing the key: (?P<key>...) or (...)")
    endings = tuple(f if f.startswith(".") else f".{f}" for f in files) if files else None
    return Pattern(f"refs.patterns[{index}]", compiled, endings, None)
