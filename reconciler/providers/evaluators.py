"""Which evaluator a workspace's vendor offers, looked up by name, lazily.

A vendor offers offline evaluation with a module `evaluate` in its package (as the registry
names it) exposing `evaluator(desired, live=None) -> Evaluator`. Importing it by name keeps the
generic `eval` and `test` commands free of any vendor import, and a vendor without the module
yet gets a clear message instead of an import error.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from reconciler.errors import FlagsyncError, UnsupportedError, WorkspaceError
from reconciler.evaluation import Evaluator
from reconciler.model import Flag, FlagSet
from reconciler.plan import Impact
from reconciler.providers.registry import VENDORS

EvaluatorFactory = Callable[..., Evaluator]


def _module(provider: str) -> Any:
    if provider not in VENDORS:
        raise WorkspaceError(f"provider '{provider}' is not one flagsync knows")
    name = f"{VENDORS[provider]}.evaluate"
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name == name:
            raise UnsupportedError(
                f"offline evaluation is not available for {provider} workspaces yet"
            ) from error
        raise


def offers_evaluation(provider: str) -> bool:
    """Whether the vendor has an offline evaluator (without one, plans show no impact)."""
    try:
        _module(provider)
    except FlagsyncError:
        return False
    return True


def evaluator_factory(provider: str) -> EvaluatorFactory:
    """The vendor's `evaluator(desired, live=None)`; a FlagsyncError when it has none."""
    factory: EvaluatorFactory = _module(provider).evaluator
    return factory


ArithmeticImpact = Callable[[Flag, Flag, str], Impact | None]


def arithmetic_impact(provider: str) -> ArithmeticImpact | None:
    """The vendor's exact impact of a split or rollout change, when it offers one."""
    try:
        module = _module(provider)
    except FlagsyncError:
        return None
    found: ArithmeticImpact | None = getattr(module, "arithmetic_impact", None)
    return found


def evaluator_for(provider: str, desired: FlagSet, live: Any = None) -> Evaluator:
    return evaluator_factory(provider)(desired, live)
