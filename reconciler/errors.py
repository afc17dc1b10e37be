"""The errors flagsync shows to people, as one tree (docs/errors.md).

Every failure a user can cause or meet (bad YAML, a schema violation, a missing credential, an API
answer) is raised as a `FlagsyncError` subclass; the CLI prints its message and exits 1, never a
traceback. A caller catches the root to handle them all, or the one branch it can act on
(`ConflictError`: plan again; `NetworkError`: try again later). Messages never contain secrets:
the HTTP layer redacts before raising.

    FlagsyncError
    ├── UsageError            options or arguments that do not go together
    ├── WorkspaceError        the workspace file, its credentials, its projects and environments
    │   └── CredentialsError  a credential the workspace needs is not set
    ├── ValidationFailed      problems found in manifests, workspace or policy files (`problems`)
    ├── PlanError             the manifests ask for what the live state or the vendor cannot take
    │   └── UnsupportedError  something the workspace's vendor cannot express
    ├── SavedPlanError        a plan file unreadable, of another project, stale or edited
    ├── SafetyError           the plan exceeds the workspace's safety thresholds
    ├── PolicyError           the workspace's policy failed and was not overridden
    ├── DeadlineError         the command ran longer than its timeout
    ├── ApplyError            an apply stopped at a failure (`cause`: that failure)
    └── ApiError              a vendor API call failed (`call`, `status`, `vendor_message`)
        ├── NetworkError      no answer: unreachable, timed out, dropped, or the command ending
        ├── ApiStatusError    the API answered with an error status
        ├── AnswerShapeError  the API answered with something flagsync cannot read
        └── ConflictError     the object changed since the plan; nothing was overwritten
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "AnswerShapeError",
    "ApiError",
    "ApiStatusError",
    "ApplyError",
    "ConflictError",
    "CredentialsError",
    "DeadlineError",
    "FlagsyncError",
    "NetworkError",
    "PlanError",
    "PolicyError",
    "Problem",
    "SafetyError",
    "SavedPlanError",
    "UnsupportedError",
    "UsageError",
    "ValidationFailed",
    "WorkspaceError",
    "one_line",
]


class FlagsyncError(Exception):
    """A failure with a message written for the person running flagsync: the root of the tree,
    and what the CLI catches to print one line and exit 1."""


class UsageError(FlagsyncError):
    """Command-line options or arguments that do not go together, or a value they need."""


class WorkspaceError(FlagsyncError):
    """The workspace cannot be used as written: no workspace file, a bad URL, a project or
    environment the vendor does not have, a setting the vendor's project does not support."""


class CredentialsError(WorkspaceError):
    """A credential the workspace's vendor needs is not set in the environment."""


class PlanError(FlagsyncError):
    """The manifests are valid, but cannot be planned against what the vendor has: an unknown
    cohort or holdout, flags that depend on each other in a cycle, a change the vendor allows
    only one way."""


class UnsupportedError(PlanError):
    """Something the manifests declare that the workspace's vendor cannot express."""


class SavedPlanError(FlagsyncError):
    """A saved plan file that cannot be applied: unreadable, of another format or project,
    written by an earlier flagsync, stale (the live state moved), or doing what a fresh plan
    would not."""


class SafetyError(FlagsyncError):
    """The plan changes more than the workspace's safety thresholds allow (`--force` runs it)."""


class PolicyError(FlagsyncError):
    """The workspace's policy failed on the plan and no `--override-policy` reason was given."""


class DeadlineError(FlagsyncError):
    """The command ran longer than its timeout and was stopped."""


class ApplyError(FlagsyncError):
    """An apply stopped at a failure (`cause`), or a call could not be sent because it needs
    the id of an object this apply failed to create; what was applied before stays applied."""

    def __init__(self, message: str, cause: FlagsyncError | None = None) -> None:
        super().__init__(message)
        self.cause = cause
        """The failure that stopped the apply (an `ApiError`, a `ConflictError`, ...)."""


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
    """All the problems found in the manifests, workspace or policy file, reported at once:
    `problems`, sorted, each `file:line:col: message`."""

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


class NetworkError(ApiError):
    """The API gave no answer: unreachable, timed out, a dropped connection, or the command
    ending. `after_lost_attempt`: a write was sent and its answer lost (it may have been
    committed)."""


class ApiStatusError(ApiError):
    """The API answered with an error status (`status`), after the retries a status allows."""


class AnswerShapeError(ApiError):
    """The API answered, but with something flagsync cannot read: not JSON, too large, nested
    too deep, or not the shape its documentation gives."""


class ConflictError(ApiError):
    """The object changed since the plan (a versioned write refused, or a re-read before the
    write found another state): nothing was overwritten; plan again."""
