"""A team's own rules, as CEL expressions (Common Expression Language, https://cel.dev).

CEL is what Kubernetes admission policies and Google's IAM conditions use: side-effect free,
always terminating, and readable by anyone who reads JSON. A rule sees two variables: `plan`
(the plan's JSON, schemas/plan-v1.schema.json) and `flags` (per flag key, what its manifest
declares: owner, expires, permanent, description, name, type, tags, file). It passes when it
evaluates to true. cel-python is imported only when a workspace has such rules.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from reconciler.errors import Problem
from reconciler.policy.config import CustomRule, Policy
from reconciler.policy.violation import Violation


@functools.cache
def _environment() -> Any:
    """One CEL environment per process: building its parser is most of a rule's cost."""
    import celpy

    return celpy.Environment()


def _located(policy: Policy, rule: CustomRule, message: str) -> Problem:
    path: list[str | int] = ["policy", "rules", rule.index, "expression"]
    if policy.document is None:
        return Problem("flagsync.yaml", 1, 1, message)
    return policy.document.problem(path, message)


def compile_problems(policy: Policy) -> list[Problem]:
    """A located problem for each rule whose expression is not valid CEL."""
    if not policy.rules:
        return []
    import celpy

    env = _environment()
    problems = []
    for rule in policy.rules:
        try:
            env.compile(rule.expression)
        except celpy.CELParseError as error:
            where = f" at column {error.column}" if getattr(error, "column", None) else ""
            message = f"policy rule '{rule.name}': not valid CEL{where}: {rule.expression!r}"
            problems.append(_located(policy, rule, message))
    return problems


def custom_violations(
    policy: Policy, plan: dict[str, Any], flags: Mapping[str, dict[str, Any]]
) -> list[Violation]:
    """Each custom rule that is false, or cannot be evaluated on this plan (a missing field,
    a type error): a rule that cannot say yes does not let the plan through."""
    if not policy.rules:
        return []
    import celpy
    from celpy.evaluation import CELEvalError

    env = _environment()
    activation = {"plan": celpy.json_to_cel(plan), "flags": celpy.json_to_cel(dict(flags))}
    violations = []
    for rule in policy.rules:
        try:
            result = env.program(env.compile(rule.expression)).evaluate(activation)
        except CELEvalError as error:
            reason = error.args[0] if error.args else str(error)
            violations.append(
                Violation(rule.name, f"could not be evaluated on this plan: {reason}")
            )
            continue
        if isinstance(result, CELEvalError):
            violations.append(Violation(rule.name, f"could not be evaluated: {result.args[0]}"))
        elif not isinstance(result, celpy.celtypes.BoolType):
            violations.append(
                Violation(rule.name, f"must evaluate to true or false, not {result!r}")
            )
        elif not bool(result):
            violations.append(Violation(rule.name, rule.message or f"{rule.expression} is false"))
    return violations
