"""PostHog experiments in manifests: the rules the schema cannot express, located exactly."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner

from reconciler.cli import main
from reconciler.manifest.loader import load_flags
from reconciler.model import Experiment, ExperimentVariant
from reconciler.workspace import load_workspace

POSTHOG = """\
provider: posthog
environments:
  staging: {project_id: 1}
  production: {project_id: 2}
manifests: flags/
"""


def validate(file: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["validate", "-w", str(file)])
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_a_valid_experiment_builds_the_model(make_workspace: Callable[..., Path]) -> None:
    manifest = """\
        experiments:
          - key: pricing
            name: Pricing test
            variants:
              - {key: control, split: 34}
              - {key: b, split: 66, payload: {x: 1}}
            metrics:
              - {kind: ExperimentMetric, metric_type: mean, source: {kind: EventsNode, event: e}}
            status: running
            environments: [production]
        """
    file = make_workspace({"exp.yaml": manifest}, workspace=POSTHOG)
    assert validate(file)[0] == 0
    flags = load_flags(load_workspace(file))
    assert flags.flags == {}
    assert flags.experiments == {
        "pricing": Experiment(
            key="pricing",
            name="Pricing test",
            variants={
                "control": ExperimentVariant(split=34),
                "b": ExperimentVariant(split=66, payload={"x": 1}),
            },
            metrics=(
                {
                    "kind": "ExperimentMetric",
                    "metric_type": "mean",
                    "source": {"kind": "EventsNode", "event": "e"},
                },
            ),
            status="running",
            environments=("production",),
        )
    }


def test_default_variants_are_posthogs(make_workspace: Callable[..., Path]) -> None:
    manifest = """\
        experiments:
          - {key: plain, name: Plain, environments: [staging]}
        """
    file = make_workspace({"exp.yaml": manifest}, workspace=POSTHOG)
    experiment = load_flags(load_workspace(file)).experiments["plain"]
    assert experiment.variants == {
        "control": ExperimentVariant(split=50),
        "test": ExperimentVariant(split=50),
    }
    assert experiment.status == "draft"


def test_experiment_rules_are_errors_at_file_line_col(
    make_workspace: Callable[..., Path],
) -> None:
    experiments = """\
        experiments:
          - key: pricing
            name: Pricing
            variants:
              - {key: baseline, split: 50}
              - {key: b, split: 40}
              - {key: b, split: 5}
            environments: [staging, prod]
          - key: pricing
            name: Again
            environments: [staging]
          - key: checkout
            name: Checkout
            environments: [staging]
          - key: bad.key
            name: Dotted
            environments: [staging]
          - key: shapes
            name: Shapes
            variants: [{key: control, split: 100}]
            status: paused
            environments: [staging]
        """
    flags = """\
        flags:
          - key: checkout
            environments:
              staging:
                targets: [{percentage: 0}]
        """
    file = make_workspace({"exp.yaml": experiments, "flags.yaml": flags}, workspace=POSTHOG)
    code, output = validate(file)
    assert code == 1
    expected = [
        "flags/exp.yaml:4:5: an experiment needs a variant with key 'control' (the baseline); "
        "got: baseline, b, b",
        "flags/exp.yaml:4:5: splits add up to 95 %, they must add up to exactly 100 %",
        "flags/exp.yaml:7:15: variant key 'b' appears twice in experiment 'pricing'",
        "flags/exp.yaml:8:29: environment 'prod' is not in the workspace (it declares: "
        "staging, production)",
        "flags/exp.yaml:9:10: experiment key 'pricing' is already declared at flags/exp.yaml:2:10",
        "flags/exp.yaml:12:10: experiment 'checkout' owns the flag with that key, but it is also "
        "declared as a flag at flags/flags.yaml:2:10; remove the flag",
        "flags/flags.yaml:2:10: flag 'checkout' belongs to the experiment declared at "
        "flags/exp.yaml:12:10",
        "flags/exp.yaml:15:10: 'bad.key' is not a valid PostHog key",
        "flags/exp.yaml:20:15: experiments[4].variants: needs at least 2 items, got 1",
        "flags/exp.yaml:21:13: experiments[4].status: 'paused' is not one of: draft, running, "
        "stopped",
    ]
    for line in expected:
        assert line in output, f"{line}\n---\n{output}"


def test_experiments_on_devcycle_are_errors(make_workspace: Callable[..., Path]) -> None:
    manifest = """\
        flags: []
        experiments:
          - {key: pricing, name: Pricing, environments: [production]}
        """
    code, output = validate(make_workspace({"exp.yaml": manifest}))
    assert code == 1
    assert (
        "flags/exp.yaml:3:5: experiments are managed for PostHog workspaces only (DevCycle "
        "experiments are not supported yet)"
    ) in output
