"""Offline evaluation: which variation a user gets from a flag, and why, computed from the
manifests' model as the vendor's SDK computes it.

This package is generic: it defines what an evaluation answers (`Evaluation`) and what a
vendor's evaluator offers (`Evaluator`). Each vendor's rules (condition semantics, operators,
hashing and bucketing) live in its provider's package, which returns an `Evaluator`.
"""

from reconciler.evaluation.result import Evaluation, Evaluator, UserContext

__all__ = ["Evaluation", "Evaluator", "UserContext"]
