"""Evaluating a workspace's policy on a plan, and showing the outcome.

The outcome is shown wherever the plan is (terminal, Markdown for the pull request comment,
JSON) and checked again by `apply`, which stops on a failure unless `--override-policy REASON`
names why the rules do not apply this time; the reason is printed, so it lands in the log.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from reconciler.errors import PolicyError, Problem, ValidationFailed
from reconciler.lifecycle import today
from reconciler.manifest.lifecycle_checks import lifecycle_findings
from reconciler.manifest.metadata import LazyFlagMetadata
from reconciler.plan import Plan
from reconciler.policy.builtin import BUILTIN_RULES
from reconciler.policy.config import Policy, load_policy
from reconciler.policy.expiry import ExpiryNotice, expiry_notice
from reconciler.policy.expressions import compile_problems, custom_violations
from reconciler.policy.violation import Violation
from reconciler.render.json_output import render_json
from reconciler.workspace import Workspace


@dataclass(frozen=True)
class PolicyReport:
    checked: int
    """How many rules were evaluated (0: the workspace declares no policy)."""
    violations: list[Violation] = field(default_factory=list)
    expiry: ExpiryNotice = field(default_factory=ExpiryNotice)
    """Flags past or near their `expires` date, shown with the plan (not a rule: never fails)."""

    @property
    def passed(self) -> bool:
        return not self.violations

    def to_json(self) -> dict[str, Any]:
        return {
            "checked": self.checked,
            "passed": self.passed,
            "violations": [v.to_json() for v in self.violations],
            **self.expiry.to_json(),
        }

    def text(self) -> str:
        return self._rules_text() + self.expiry.text()

    def markdown(self) -> str:
        return self._rules_markdown() + self.expiry.markdown()

    def _rules_text(self) -> str:
        if not self.checked:
            return ""
        if self.passed:
            return f"Policy: {self.checked} rule{'s' if self.checked != 1 else ''} passed.\n"
        lines = [f"Policy: {len(self.violations)} failed (apply stops unless --override-policy):"]
        lines += [f"  ✗ {v.rule}: {v.message}" for v in self.violations]
        return "\n".join(lines) + "\n"

    def _rules_markdown(self) -> str:
        if not self.checked:
            return ""
        if self.passed:
            return f"\n**Policy:** {self.checked} rule{'s' if self.checked != 1 else ''} passed.\n"
        lines = [
            "",
            f"**Policy: {len(self.violations)} failed** — apply stops unless "
            "`--override-policy REASON`.",
            "",
            "| rule | what failed |",
            "|---|---|",
        ]
        lines += [f"| `{v.rule}` | {_cell(v.message)} |" for v in self.violations]
        return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _count(policy: Policy) -> int:
    return (
        bool(policy.require_on_new_flags)
        + bool(policy.max_rollout_step)
        + bool(policy.require_change_requests)
        + bool(policy.forbid)
        + len(policy.rules)
    )


def policy_problems(workspace: Workspace) -> list[Problem]:
    """What `validate` reports about the policy itself (expressions that are not CEL), and
    flags missing a field `require_on_all_flags` asks for."""
    policy = load_policy(workspace)
    problems, _ = lifecycle_findings(workspace, policy.require_on_all_flags, today())
    return compile_problems(policy) + problems


def policy_warnings(workspace: Workspace) -> list[Problem]:
    """What `validate` warns about without failing: flags past their `expires` date."""
    _, warnings = lifecycle_findings(workspace, (), today())
    return warnings


def evaluate(workspace: Workspace, plan: Plan) -> PolicyReport:
    """Every rule of the workspace's policy, on this plan."""
    policy = load_policy(workspace)
    notice = expiry_notice(workspace, policy.expiry_notice_days, today())
    if policy.empty:
        return PolicyReport(checked=0, expiry=notice)
    problems = compile_problems(policy)
    if problems:
        raise ValidationFailed(problems)
    data = json.loads(render_json(plan))
    flags = LazyFlagMetadata(workspace)
    violations = [v for rule in BUILTIN_RULES for v in rule(policy, data, flags)]
    violations += custom_violations(policy, data, flags)
    return PolicyReport(checked=_count(policy), violations=violations, expiry=notice)


def enforce(report: PolicyReport, override_reason: str | None) -> str | None:
    """Raise when the policy failed and no reason to override was given; else the line to
    print about an override (None when there was nothing to override)."""
    if report.passed:
        return None
    if override_reason is None:
        raise PolicyError(
            f"the workspace's policy failed ({len(report.violations)} rule(s), listed above). "
            "Nothing was applied. Fix the manifests, or pass --override-policy REASON."
        )
    return f"Policy overridden ({len(report.violations)} failed): {override_reason.strip()}"


def with_policy(rendered: str, output: str, report: PolicyReport) -> str:
    """The rendered plan with the policy's outcome: after the text or Markdown, or as the
    JSON's `policy` property."""
    if not report.checked and report.expiry.empty:
        return rendered
    if output == "json":
        data = json.loads(rendered)
        data["policy"] = report.to_json()
        return json.dumps(data, indent=2) + "\n"
    if output == "markdown":
        return rendered + report.markdown()
    return rendered + report.text()
