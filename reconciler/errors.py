"""The errors flagsync shows to people.

Every failure a user can cause or meet (bad YAML, a schema violation, a missing credential, an API
answer) is raised as a `FlagsyncError`; the CLI prints its message and exits 1, never a
traceback. Messages never contain secrets: the HTTP layer redacts before raising.
"""

from __future__ import annotations

from dataclasses import dataclass


class FlagsyncError(Exception):
    """A failure with a message written for the person running flagsync."""


@dataclass(frozen=True, order=True)
class Problem:
    """One validation finding, located in a file: `file:line:col: message` (1-based)."""

    file: str
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        return one_line(f"{self.file}:{self.line}:{self.col}: {self.message}")


_LINE_BREAKING = {
    code: f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    for code in (*range(0x20), 0x7F, 0x85, 0x2028, 0x2029)
    if code != 0x09
}


def one_line(text: str) -> str:
    """`text` with line breaks and other control characters escaped (`\\x0a`): a file name or a
    value with a newline in it must not print a second, forged `file:line:col` line."""
    if text.isprintable():
        return text
    return text.translate(_LINE_BREAKING)


class ValidationFailed(FlagsyncError):
    """All the problems found in the manifests and workspace, reported at once."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(set(problems))
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        lines = [str(p) for p in self.problems]
        super().__init__("\n".join(lines) + f"\n{count} {noun} found")


class ApiError(FlagsyncError):
    """A vendor API answered with an error, or could not be reached.

    `call` names the request ("PATCH /v2/projects/demo/features/x") and `vendor_message` carries
    the vendor's own words, so the user can search the vendor's docs for them.
    """

    def __init__(
        self,
        call: str,
        message: str,
        status: int | None = None,
        vendor_message: str | None = None,
        after_lost_attempt: bool = False,
        body: object = None,
    ) -> None:
        self.call = call
        self.status = status
        self.vendor_message = vendor_message
        self.after_lost_attempt = after_lost_attempt
        """A write was retried after its answer was lost: it may have been committed."""
        self.body = body
        """The decoded error body, for providers that read more than the message from it."""
        detail = f"{call}: {message}"
        if vendor_message:
            detail += f": {vendor_message}"
        super().__init__(detail)
