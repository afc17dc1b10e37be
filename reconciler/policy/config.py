"""The `policy:` section of the workspace file, read into a `Policy`.

The workspace schema has already checked its shape when the workspace loaded; this keeps the
document too, so a problem found later (a CEL expression that does not compile) points at its
line in flagsync.yaml.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reconciler.errors import ValidationFailed
from reconciler.manifest.source import Document, read_yaml
from reconciler.workspace import Workspace, display_name

DEFAULT_EXPIRY_NOTICE_DAYS = 14


@dataclass(frozen=True)
class CustomRule:
    """A team's own rule: a CEL expression that is true when the plan is allowed."""

    name: str
    expression: str
    message: str = ""
    index: int = 0
    """Its position under `policy.rules`, to locate problems."""


@dataclass(frozen=True)
class Policy:
    require_on_new_flags: tuple[str, ...] = ()
    max_rollout_step: dict[str, float] = field(default_factory=dict)
    require_change_requests: tuple[str, ...] = ()
    forbid: dict[str, tuple[str, ...]] = field(default_factory=dict)
    rules: tuple[CustomRule, ...] = ()
    document: Document | None = None
    require_on_all_flags: tuple[str, ...] = ()
    """Checked by `validate` on every flag (not a plan rule: it does not depend on a plan)."""
    expiry_notice_days: int = DEFAULT_EXPIRY_NOTICE_DAYS
    """The plan (and so the pull request comment) lists flags expiring within this many days."""

    @property
    def empty(self) -> bool:
        return not (
            self.require_on_new_flags
            or self.max_rollout_step
            or self.require_change_requests
            or self.forbid
            or self.rules
        )


def load_policy(workspace: Workspace) -> Policy:
    """The workspace's policy (empty when it declares none)."""
    document = read_yaml(workspace.file, display_name(workspace.file))
    if not isinstance(document, Document):
        raise ValidationFailed([document])
    data: dict[str, Any] = (document.data or {}).get("policy") or {}
    return Policy(
        require_on_new_flags=tuple(data.get("require_on_new_flags") or ()),
        max_rollout_step={env: float(v) for env, v in (data.get("max_rollout_step") or {}).items()},
        require_change_requests=tuple(data.get("require_change_requests") or ()),
        forbid={env: tuple(actions) for env, actions in (data.get("forbid") or {}).items()},
        rules=tuple(
            CustomRule(
                name=rule["name"],
                expression=rule["expression"],
                message=rule.get("message", ""),
                index=index,
            )
            for index, rule in enumerate(data.get("rules") or [])
        ),
        document=document,
        require_on_all_flags=tuple(data.get("require_on_all_flags") or ()),
        expiry_notice_days=int(data.get("expiry_notice_days", DEFAULT_EXPIRY_NOTICE_DAYS)),
    )
