"""`flagsync import`: manifests written from live state plan to no changes, and rewriting a file
keeps its comments."""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.emulator import EmulatorConfig, EmulatorServer
from reconciler.manifest.importing import write_imported
from reconciler.manifest.loader import load_flags
from reconciler.model import Flag
from reconciler.providers.devcycle.provider import DevCycleProvider
from reconciler.providers.devcycle.translate import OWNERSHIP_TAG, flag_to_create_body
from reconciler.reconcile import PlanOptions, make_plan
from tests.e2e.conftest import CLIENT_ID, CLIENT_SECRET, Cli, devcycle_provider
from tests.strategies import flags, renamed

_unique = itertools.count()


@pytest.mark.slow
def test_import_then_plan_shows_no_changes(example: Cli) -> None:
    assert example("apply", "--yes").returncode == 0
    shutil.rmtree(example.cwd / "flags")
    imported = example("import")
    assert imported.returncode == 0, imported.stdout + imported.stderr
    # six flag files, metrics.yaml, and audiences.yaml with the custom properties and the audience
    assert (
        "Imported 6 flags, 3 custom properties, 1 audience: 8 new files, 0 updated"
        in imported.stdout
    )
    shared = (example.cwd / "flags" / "audiences.yaml").read_text()
    assert "custom_properties:" in shared and "- key: pro-prospects" in shared
    assert "any:" in shared  # the nested group survives the round trip
    metrics = (example.cwd / "flags" / "metrics.yaml").read_text()
    assert "- key: upgrades" in metrics and "dimension: count_per_unique_user" in metrics
    experiment = (example.cwd / "flags" / "pricing-page-test.yaml").read_text()
    assert "control: control" in experiment
    completed = (example.cwd / "flags" / "annual-billing-toggle.yaml").read_text()
    assert "status: complete" in completed and "static_variation: shown" in completed
    assert (
        (example.cwd / "flags" / "new-checkout.yaml")
        .read_text()
        .startswith("# yaml-language-server: $schema=")
    )
    assert example("validate").returncode == 0
    plan = example("plan")
    assert plan.returncode == 0, plan.stdout
    assert "No changes." in plan.stdout


@pytest.mark.slow
def test_import_rewrites_a_declared_flag_and_keeps_comments(
    example: Cli, api: httpx.Client
) -> None:
    assert example("apply", "--yes").returncode == 0
    edited = api.patch("/v2/projects/demo/features/dark-mode", json={"description": "From the UI"})
    assert edited.status_code == 200
    manifest = example.cwd / "flags" / "mobile.yaml"
    manifest.write_text("# Mobile flags, owned by the app team.\n" + manifest.read_text())
    imported = example("import", "--flag", "dark-mode")
    assert imported.returncode == 0, imported.stdout + imported.stderr
    text = manifest.read_text()
    assert text.startswith("# Mobile flags, owned by the app team.")
    assert "description: From the UI" in text
    assert "key: offline-sync" in text  # the file's other flag is still there
    assert example("plan").returncode == 0


@pytest.fixture(scope="module")
def provider() -> Iterator[DevCycleProvider]:
    config = EmulatorConfig(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    with EmulatorServer(config) as server:
        provider = devcycle_provider(server)
        yield provider
        provider.close()


@pytest.mark.slow
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(flags(), min_size=1, max_size=3))
def test_import_law_on_generated_live_state(
    provider: DevCycleProvider, tmp_path_factory: pytest.TempPathFactory, generated: list[Flag]
) -> None:
    """Flags made in the dashboard (not by flagsync): import, then plan is empty."""
    keys = []
    for flag in generated:
        key = f"made-{next(_unique)}"
        body = flag_to_create_body(renamed(flag, key), {})
        body["tags"] = [tag for tag in body["tags"] if tag != OWNERSHIP_TAG]
        provider.client.json("POST", "/v2/projects/demo/features", body=body)
        keys.append(key)
    folder = tmp_path_factory.mktemp("import")
    workspace = provider.workspace.model_copy(
        update={"file": folder / "flagsync.yaml", "manifests": (folder / "flags",)}
    )
    write_imported(workspace, provider.read(set(keys)).flags, None, None)
    desired = load_flags(workspace)
    assert sorted(desired.flags) == sorted(keys)
    plan = make_plan(workspace, desired, provider, PlanOptions(flag_patterns=tuple(keys)))
    assert plan.changes == []
    assert sorted(plan.adoptable) == sorted(keys)  # theirs until `apply --adopt`
