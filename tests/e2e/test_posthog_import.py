"""`flagsync import` of PostHog experiments and holdouts: made in the dashboard (no ownership
marks), imported, then the plan shows no changes; a declared experiment is rewritten in place
with the file's comments kept. The law is checked on hypothesis-generated experiments too."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from hypothesis import HealthCheck, given, settings

from reconciler.emulator import EmulatorConfig, EmulatorServer
from reconciler.emulator.posthog import PERSONAL_API_KEY
from reconciler.manifest.importing import write_imported
from reconciler.manifest.loader import load_flags
from reconciler.model import Experiment, FlagSet, Holdout
from reconciler.providers.posthog.client import PostHogClient
from reconciler.providers.posthog.experiments import create_body
from reconciler.providers.posthog.provider import PostHogProvider
from reconciler.reconcile import PlanOptions, make_plan
from reconciler.workspace import EnvironmentSettings, Workspace
from tests.e2e.conftest import Cli
from tests.e2e.posthog_support import AUTH, posthog_example
from tests.strategies import experiment_sets, prefixed

_unique = itertools.count()
PROJECTS = {"staging": 1, "production": 2}


def make_holdout(api: httpx.Client, project: int, holdout: Holdout) -> int:
    """A holdout as PostHog's UI makes it (no ownership mark)."""
    answer = api.post(
        f"/api/projects/{project}/experiment_holdouts/",
        json={
            "name": holdout.name,
            "description": holdout.description,
            "filters": [{"properties": [], "rollout_percentage": holdout.percentage}],
        },
    )
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def make_experiment(
    api: httpx.Client, project: int, experiment: Experiment, holdout_id: int | None
) -> None:
    """An experiment as PostHog's UI makes it, launched and ended as its status says."""
    base = f"/api/projects/{project}/experiments"
    # The UI's event picker offers only events the project has seen.
    answer = api.post(
        f"{base}/", json={**create_body(experiment, holdout_id), "allow_unknown_events": True}
    )
    assert answer.status_code == 201, answer.text
    made = answer.json()["id"]
    if experiment.status != "draft":
        assert api.post(f"{base}/{made}/launch/", json={}).status_code == 200
    if experiment.status == "stopped":
        assert api.post(f"{base}/{made}/end/", json={}).status_code == 200


def make_live(api: httpx.Client, wanted: FlagSet) -> None:
    ids: dict[tuple[str, str], int] = {}
    for holdout in wanted.holdouts.values():
        for env in holdout.environments:
            ids[(env, holdout.name)] = make_holdout(api, PROJECTS[env], holdout)
    for experiment in wanted.experiments.values():
        for env in experiment.environments:
            holdout = None if experiment.holdout is None else ids[(env, experiment.holdout)]
            make_experiment(api, PROJECTS[env], experiment, holdout)


@pytest.fixture
def example(tmp_path: Path, emulator: EmulatorServer) -> Cli:
    cli = posthog_example(tmp_path, emulator)
    for extra in ("beta.yaml", "checkout.yaml", "onboarding.yaml", "experiments.yaml"):
        (cli.cwd / "flags" / extra).unlink()
    return cli


@pytest.fixture
def api(emulator: EmulatorServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emulator.url, headers=AUTH) as client:
        yield client


PRICING = Experiment.model_validate(
    {
        "key": "pricing-page-test",
        "name": "Pricing page layout",
        "description": "Does the compact table sell more?",
        "variants": {"control": {"split": 40}, "compact": {"split": 60, "payload": {"cols": 2}}},
        "metrics": [
            {
                "kind": "ExperimentMetric",
                "metric_type": "mean",
                "source": {"kind": "EventsNode", "event": "bought"},
            }
        ],
        "holdout": "Pricing holdout",
        "status": "running",
        "environments": ["staging", "production"],
    }
)
HOLDOUT = Holdout(name="Pricing holdout", percentage=5, environments=("staging", "production"))


@pytest.mark.slow
def test_dashboard_experiments_import_then_plan_shows_no_changes(
    example: Cli, api: httpx.Client
) -> None:
    make_live(api, FlagSet(experiments={PRICING.key: PRICING}, holdouts={HOLDOUT.name: HOLDOUT}))
    imported = example("import")
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert "Imported 0 flags, 1 experiment, 1 holdout: 2 new files" in imported.stdout
    assert "experiment 'pricing-page-test', holdout 'Pricing holdout': not created" in (
        imported.stdout
    )
    written = (example.cwd / "flags" / "pricing-page-test.yaml").read_text()
    assert written.startswith("# yaml-language-server: $schema=")
    data = yaml.safe_load(written)
    assert "flags" not in data  # the experiment's flag is written only as the experiment
    assert data["experiments"] == [
        {
            "key": "pricing-page-test",
            "name": "Pricing page layout",
            "description": "Does the compact table sell more?",
            "variants": [
                {"key": "control", "split": 40},
                {"key": "compact", "split": 60, "payload": {"cols": 2}},
            ],
            "metrics": [
                {
                    "kind": "ExperimentMetric",
                    "metric_type": "mean",
                    "source": {"kind": "EventsNode", "event": "bought"},
                }
            ],
            "holdout": "Pricing holdout",
            "status": "running",
            "environments": ["production", "staging"],
        }
    ]
    holdouts = yaml.safe_load((example.cwd / "flags" / "holdouts.yaml").read_text())
    assert holdouts == {
        "holdouts": [
            {"name": "Pricing holdout", "percentage": 5, "environments": ["production", "staging"]}
        ]
    }
    assert example("validate").returncode == 0
    plan = example("plan")
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert "No changes." in plan.stdout


@pytest.mark.slow
def test_import_rewrites_a_declared_experiment_and_keeps_comments(
    example: Cli, api: httpx.Client, emulator: EmulatorServer
) -> None:
    (example.cwd / "flags" / "experiments.yaml").write_text(
        (
            Path(__file__).parents[2]
            / "tests"
            / "fixtures"
            / "examples"
            / "posthog"
            / "flags"
            / "experiments.yaml"
        )
        .read_text()
        .replace("../../../schemas", "../../schemas")
    )
    assert example("apply", "--yes").returncode == 0
    for project in PROJECTS.values():
        found = api.get(f"/api/projects/{project}/experiments/").json()["results"]
        (mine,) = [e for e in found if e["feature_flag_key"] == "pricing-page-test"]
        edited = api.patch(
            f"/api/projects/{project}/experiments/{mine['id']}/",
            json={"description": "Edited in the dashboard"},
        )
        assert edited.status_code == 200, edited.text
    imported = example("import")
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert "0 new files, 1 updated (comments kept)" in imported.stdout
    text = (example.cwd / "flags" / "experiments.yaml").read_text()
    assert "# An experiment owns its feature flag" in text
    assert "description: Edited in the dashboard" in text
    assert "- name: Pricing holdout" in text  # the holdout stays in its file, once
    assert text.count("name: Pricing holdout") == 1
    assert not (example.cwd / "flags" / "holdouts.yaml").exists()
    plan = example("plan")
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert "No changes." in plan.stdout


@pytest.mark.slow
def test_copies_that_differ_between_projects_are_named(example: Cli, api: httpx.Client) -> None:
    staging = PRICING.model_copy(update={"holdout": None, "environments": ("staging",)})
    production = staging.model_copy(update={"status": "draft", "environments": ("production",)})
    make_experiment(api, 1, staging, None)
    make_experiment(api, 2, production, None)
    imported = example("import")
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert (
        "Note: experiment 'pricing-page-test' differs between projects: written as in staging; "
        "the plan shows what apply would change in production"
    ) in imported.stdout
    plan = example("plan", "--adopt")
    assert plan.returncode == 2, plan.stdout + plan.stderr
    assert "[production]" in plan.stdout


# -- the law on generated experiments and holdouts ---------------------------------------------


@pytest.fixture(scope="module")
def provider() -> Iterator[PostHogProvider]:
    with EmulatorServer(EmulatorConfig()) as server:
        workspace = Workspace(
            file=Path("flagsync.yaml"),
            provider="posthog",
            api_url=server.url,
            environments={
                env: EnvironmentSettings(project_id=project) for env, project in PROJECTS.items()
            },
            manifests=(),
        )
        client = PostHogClient(server.url, PERSONAL_API_KEY)
        yield PostHogProvider(workspace, client)
        client.close()


@pytest.mark.slow
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(experiment_sets())
def test_import_law_on_generated_experiments(
    provider: PostHogProvider, tmp_path_factory: pytest.TempPathFactory, generated: FlagSet
) -> None:
    """Experiments and holdouts made in the dashboard: import, then plan is empty."""
    wanted = prefixed(generated, f"imp{next(_unique)}-")
    with httpx.Client(base_url=provider.workspace.api_url, headers=AUTH) as api:
        make_live(api, wanted)
    names = set(wanted.experiments) | set(wanted.holdouts)
    live = provider.read(set())
    found, _ = provider.for_import(live, FlagSet(), lambda name: name in names)
    assert found == wanted
    folder = tmp_path_factory.mktemp("import")
    workspace = provider.workspace.model_copy(
        update={"file": folder / "flagsync.yaml", "manifests": (folder / "flags",)}
    )
    write_imported(workspace, found, None, None)
    desired = load_flags(workspace)
    assert desired == wanted
    plan = make_plan(workspace, desired, provider, PlanOptions(flag_patterns=tuple(names)))
    assert plan.changes == []
    assert plan.steps == []


@pytest.mark.slow
def test_a_selected_experiment_brings_its_holdout(example: Cli, api: httpx.Client) -> None:
    other = HOLDOUT.model_copy(update={"name": "Unrelated holdout"})
    make_live(
        api,
        FlagSet(
            experiments={PRICING.key: PRICING},
            holdouts={HOLDOUT.name: HOLDOUT, other.name: other},
        ),
    )
    imported = example("import", "--flag", "pricing-*")
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert "Imported 0 flags, 1 experiment, 1 holdout" in imported.stdout
    assert "Unrelated holdout" not in (example.cwd / "flags" / "holdouts.yaml").read_text()
    plan = example("plan", "--flag", "pricing-*")
    assert plan.returncode == 0, plan.stdout + plan.stderr
