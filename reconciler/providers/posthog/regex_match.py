"""PostHog's `regex` / `not_regex` operators as its SDKs evaluate them locally.

PostHog's servers match with Rust's regex engine; posthog-python (feature_flags.py,
`_RegexTranslator`, `_compile_regex`, `_match_regex`, `_assert_regex_value_supported`) runs a
pattern locally only when Python's `re` gives the same answer, rewriting `$` to `\\Z` (Rust's
strict end), and leaves every other pattern to the server. The same rules are kept here so
flagsync's offline answer is the SDK's: `Deferred` where the SDK defers, False for a pattern
that does not compile, True for an empty pattern.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache


class Deferred(Exception):
    """The SDK cannot match this pattern (or value) locally; PostHog's server decides."""


@dataclass(frozen=True)
class _Compiled:
    regex: re.Pattern[str]
    word_class: bool
    space_class: bool
    end_anchor: bool
    quantifier_or_alternation: bool


_SHORTHANDS = ("\\d", "\\D", "\\s", "\\S", "\\w", "\\W")


class _Translator:
    """A scan of the syntax Python and Rust share (posthog-python `_RegexTranslator`)."""

    def __init__(self, pattern: str) -> None:
        self.p = pattern
        self.out: list[str] = []
        self.class_start: int | None = None
        self.previous = ""
        self.group_quantified: list[bool] = []
        self.closed_quantified = False
        self.word = self.space = self.end = self.quant = False
        self.i = 0

    def translate(self) -> str:
        while self.i < len(self.p):
            char = self.p[self.i]
            if 0xD800 <= ord(char) <= 0xDFFF:
                raise Deferred
            if self.class_start is None:
                self._scan_group(char)
            self._character(char)
            self.i += 1
        return "".join(self.out)

    def _scan_group(self, char: str) -> None:
        self.end |= char == "$"
        self.quant |= char in "*+?{|"
        if char == "(":
            self.group_quantified.append(False)
        elif char == ")":
            self.closed_quantified = self.group_quantified.pop() if self.group_quantified else False
            if self.group_quantified:
                self.group_quantified[-1] |= self.closed_quantified
        elif char in "*+?{":
            if self.previous == ")" and self.closed_quantified:
                raise Deferred
            if self.group_quantified:
                self.group_quantified[-1] = True

    def _character(self, char: str) -> None:
        if char == "\\":
            self._escape()
        elif char == "[":
            if self.class_start is not None:
                raise Deferred
            self.class_start = self.i
            self.out.append(char)
        elif char == "]" and self.class_start is not None:
            negated = self.p[self.class_start + 1 : self.class_start + 2] == "^"
            start = self.class_start + (2 if negated else 1)
            if self.i == start:
                raise Deferred
            self.class_start = None
            self.previous = "literal"
            self.out.append("]")
        elif self.class_start is not None:
            self._class_character(char)
        else:
            self._outside_class(char)

    def _escape(self) -> None:
        self.i += 1
        if self.i == len(self.p):
            self.out.append("\\")
            return
        escaped = self.p[self.i]
        if escaped == "x":
            digits = self.p[self.i + 1 : self.i + 3]
            if len(digits) != 2 or any(c not in "0123456789abcdefABCDEF" for c in digits):
                raise Deferred
            self.out.append("\\x" + digits)
            self.i += 2
            self.previous = "literal"
            return
        if escaped in "bB<>" and self.class_start is None:
            raise Deferred
        if escaped not in "dDsSwWbfnrt":
            if not (0x20 <= ord(escaped) <= 0x7E and not escaped.isalnum()):
                raise Deferred
            if self.class_start is not None and escaped not in "\\-[]^.$*+?(){}|":
                raise Deferred
        self.word |= escaped in "wW"
        self.space |= escaped in "sS"
        self.out.append("\\" + escaped)
        self.previous = "literal"

    def _class_character(self, char: str) -> None:
        if self.p[self.i : self.i + 2] in ("&&", "--", "~~"):
            raise Deferred
        ranged = char == "-" and self.i + 1 < len(self.p) and self.p[self.i + 1] != "]"
        if ranged and (
            self.p[self.i + 1 : self.i + 3] in _SHORTHANDS
            or (self.i >= 2 and self.p[self.i - 2] == "\\" and self.p[self.i - 1] in "dDsSwW")
        ):
            raise Deferred
        self.out.append(char)

    def _outside_class(self, char: str) -> None:
        if char == "(" and self.p[self.i + 1 : self.i + 2] == "?":
            if self.p[self.i + 2 : self.i + 3] != ":":
                raise Deferred
            self.out.append("(?:")
            self.i += 2
            self.previous = "("
        elif char == "{":
            self._repetition()
        else:
            if char in "*+?":
                if self.previous in ("^", "$", "empty group") or self.p[
                    self.i + 1 : self.i + 2
                ] in ("+", "{"):
                    raise Deferred
                self.previous = "quantifier"
            else:
                empty = char == ")" and self.previous in ("(", "empty group")
                self.previous = "empty group" if empty else char
            self.out.append("\\Z" if char == "$" else char)

    def _repetition(self) -> None:
        found = re.match(r"\{([0-9]+)(?:,([0-9]*))?\}", self.p[self.i :])
        if found is None or self.previous in ("", "|", "(", "^", "$", "empty group", "quantifier"):
            raise Deferred
        if any(len(n) > 10 or int(n) > 0xFFFFFFFF for n in found.groups() if n):
            raise Deferred
        self.out.append(found.group())
        self.i += len(found.group()) - 1
        if self.p[self.i + 1 : self.i + 2] in ("+", "{"):
            raise Deferred
        self.previous = "quantifier"


@lru_cache(maxsize=1024)
def _compile(pattern: str) -> _Compiled | None:
    translator = _Translator(pattern)
    translated = translator.translate()
    try:
        regex = re.compile(translated)
    except re.error:
        return None
    except Exception as error:  # pragma: no cover - mirrors the SDK's catch-all
        raise Deferred from error
    return _Compiled(regex, translator.word, translator.space, translator.end, translator.quant)


def pattern_supported(pattern: str) -> bool:
    """Whether the SDK can use this pattern at all (whatever the value)."""
    if not pattern:
        return True
    try:
        _compile(pattern)
    except Deferred:
        return False
    return True


def regex_search(pattern: str, value: str) -> bool | None:
    """True/False as the SDK matches; None for a pattern that does not compile (no match for
    both `regex` and `not_regex`); raises `Deferred` where the SDK defers to the server."""
    if pattern == "":
        return True
    compiled = _compile(pattern)
    if compiled is None:
        return None
    if compiled.end_anchor and compiled.quantifier_or_alternation and value.endswith("\n"):
        raise Deferred
    if not value.isascii():
        if any(0xD800 <= ord(c) <= 0xDFFF for c in value):
            raise Deferred
        if compiled.word_class and any(
            not c.isascii() and not (c.isalpha() or c.isdecimal()) for c in value
        ):
            raise Deferred
    if compiled.space_class and any(c in value for c in "\x1c\x1d\x1e\x1f"):
        raise Deferred
    return compiled.regex.search(value) is not None
