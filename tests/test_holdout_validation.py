"""PostHog experiment holdouts in manifests: declarations, references, located errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from reconciler.manifest.loader import load_flags
from reconciler.model import Holdout
from reconciler.workspace import load_workspace
from tests.test_experiment_validation import POSTHOG, validate

HOLDOUTS = """\
    holdouts:
      - name: Global
        description: Never in an experiment
        percentage: 5
        environments: [staging, production]
      - name: Staging only
        percentage: 10
        environments: [staging]
    """


def test_a_holdout_and_its_reference_build_the_model(
    make_workspace: Callable[..., Path],
) -> None:
    experiments = """\
        experiments:
          - {key: pricing, name: Pricing, holdout: Global, environments: [staging, production]}
        """
    file = make_workspace({"h.yaml": HOLDOUTS, "e.yaml": experiments}, workspace=POSTHOG)
    assert validate(file)[0] == 0
    flags = load_flags(load_workspace(file))
    assert flags.holdouts["Global"] == Holdout(
        name="Global",
        description="Never in an experiment",
        percentage=5,
        environments=("production", "staging"),
    )
    assert flags.experiments["pricing"].holdout == "Global"


def test_holdout_rules_are_errors_at_file_line_col(make_workspace: Callable[..., Path]) -> None:
    experiments = """\
        experiments:
          - {key: a, name: A, holdout: Globl, environments: [staging]}
          - {key: b, name: B, holdout: Staging only, environments: [staging, production]}
        holdouts:
          - {name: Global, percentage: 1, environments: [staging, prod]}
          - {name: Over, percentage: 101, environments: [staging]}
        """
    file = make_workspace({"h.yaml": HOLDOUTS, "e.yaml": experiments}, workspace=POSTHOG)
    code, output = validate(file)
    assert code == 1
    expected = [
        "flags/e.yaml:2:32: holdout 'Globl' is not declared under `holdouts:` (did you mean "
        "'Global'?)",
        "flags/e.yaml:3:32: holdout 'Staging only' (declared at flags/h.yaml:6:11) is not in "
        "production, where experiment 'b' is; add it to the holdout's environments",
        "flags/h.yaml:2:11: holdout 'Global' is already declared at flags/e.yaml:5:12",
        "flags/e.yaml:5:59: environment 'prod' is not in the workspace",
        "flags/e.yaml:6:30: holdouts[1].percentage: 101 is above the maximum 100",
    ]
    for line in expected:
        assert line in output, f"{line}\n---\n{output}"


def test_holdouts_on_devcycle_are_errors(make_workspace: Callable[..., Path]) -> None:
    manifest = """\
        flags: []
        holdouts:
          - {name: Global, percentage: 5, environments: [production]}
        """
    code, output = validate(make_workspace({"h.yaml": manifest}))
    assert code == 1
    assert (
        "flags/h.yaml:3:5: holdouts are PostHog experiment holdouts; DevCycle has no holdouts"
    ) in output
