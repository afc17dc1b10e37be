"""Policy checks: rules a workspace declares that every plan must satisfy before apply.

Built-in rules cover what teams ask for most (required fields on new flags, the largest rollout
step per apply, environments that must go through change requests, actions forbidden in an
environment); anything else is a CEL expression over the plan's published JSON. Rules read the
plan as JSON (schemas/plan-v1.schema.json), exactly what an external tool (conftest/OPA) would
see, so a rule means the same wherever it is evaluated.
"""

from reconciler.policy.config import Policy, load_policy
from reconciler.policy.evaluate import PolicyReport, Violation, evaluate, policy_problems

__all__ = ["Policy", "PolicyReport", "Violation", "evaluate", "load_policy", "policy_problems"]
