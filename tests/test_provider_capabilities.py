"""Providers declare what their vendor supports, and the generic modules go by the declarations.

A vendor is one package plus one line in `reconciler.providers.registry.VENDORS`; the stub vendor
in `tests/stub_vendor/` (flags only, nothing optional declared) shows what the generic modules do
with a vendor they have never heard of.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import main
from reconciler.errors import FlagsyncError, ValidationFailed
from reconciler.manifest import build, format, provider_rules
from reconciler.manifest.build import build_flag
from reconciler.manifest.loader import load_flags
from reconciler.manifest.write import flag_data
from reconciler.model import Flag, FlagSet, Holdout, ReusableAudience
from reconciler.providers import registry
from reconciler.providers.base import Provider
from reconciler.reconcile import make_plan, open_provider
from reconciler.workspace import EnvironmentSettings, Workspace

ROOT = Path(__file__).resolve().parent.parent

# Each declaration and the hooks a provider that makes it overrides.
HOOKS = {
    "SUPPORTS_PREFETCH": ("prefetch",),
    "SUPPORTS_AUDIENCES": ("plan_project_objects", "read_project_objects"),
    "SUPPORTS_METRICS": ("plan_metrics",),
    "SUPPORTS_EXPERIMENTS": ("plan_experiments",),  # for_import also carries notes (staleness)
    "SUPPORTS_HOLDOUTS": ("plan_holdouts",),
    "SUPPORTS_APPROVAL_POLICIES": ("plan_approval_policies", "approval_policy_entries"),
}


@pytest.mark.parametrize("vendor", sorted(registry.VENDORS))
def test_each_declaration_comes_with_its_hooks(vendor: str) -> None:
    provider = registry.provider_class(vendor)
    assert provider.name == vendor
    for declaration, hooks in HOOKS.items():
        for hook in hooks:
            overridden = getattr(provider, hook) is not getattr(Provider, hook)
            assert overridden == getattr(provider, declaration), f"{vendor}: {declaration}/{hook}"


@pytest.mark.parametrize("schema", ["schemas", "reconciler/schemas"])
def test_the_workspace_schema_names_the_registered_vendors(schema: str) -> None:
    document = json.loads((ROOT / schema / "workspace.schema.json").read_text())
    assert sorted(document["properties"]["provider"]["enum"]) == sorted(registry.VENDORS)


def test_an_unknown_vendor_is_named() -> None:
    with pytest.raises(FlagsyncError, match="provider 'nope' is not one flagsync knows"):
        registry.provider_class("nope")


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """A workspace of the stub vendor, registered with one line."""
    monkeypatch.setitem(registry.VENDORS, "stub", "tests.stub_vendor")
    return Workspace(
        file=Path("flagsync.yaml"),
        provider="stub",
        api_url="http://127.0.0.1:9",
        environments={"production": EnvironmentSettings()},
        manifests=(),
    )


def _flag() -> Flag:
    return Flag(key="checkout", name="checkout")


def test_a_registered_vendor_plans_its_flags(stub: Workspace) -> None:
    provider = open_provider(stub)
    try:
        plan = make_plan(stub, FlagSet(flags={"checkout": _flag()}), provider)
    finally:
        provider.close()
    assert plan.provider == "stub"
    assert [(s.action, s.key) for s in plan.steps] == [("create", "checkout")]


def test_a_registered_vendor_brings_its_own_urls(
    stub: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The URLs a workspace leaves out are its provider's declarations, never another
    vendor's; a token endpoint only for a provider that declares one."""

    def plain() -> Workspace:
        return Workspace(
            file=Path("flagsync.yaml"),
            provider="stub",
            environments={"production": EnvironmentSettings()},
            manifests=(),
        )

    stub_class = registry.provider_class("stub")
    assert (plain().api_url, plain().auth_url) == (stub_class.DEFAULT_API_URL, None)
    monkeypatch.setattr(stub_class, "DEFAULT_AUTH_URL", "http://127.0.0.1:9/token")
    assert plain().auth_url == "http://127.0.0.1:9/token"


def test_another_vendors_url_variable_is_not_read(
    make_workspace: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = make_workspace(
        {}, workspace="provider: posthog\nenvironments:\n  production: {project_id: 2}\n"
    )
    monkeypatch.setenv(registry.provider_class("devcycle").AUTH_URL_VARIABLE or "", "nonsense")
    result = CliRunner().invoke(main, ["validate", "--workspace", str(workspace)])
    assert result.exit_code == 0, result.output


def test_a_registered_vendor_names_its_own_settings_field(
    stub: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A vendor's own flag settings are read and written under the field its manifest rules
    declare, and `fmt` places that field with the others."""
    monkeypatch.setattr(provider_rules.rules_for("stub"), "settings_section", "stub")
    for cached in (provider_rules.settings_section, build.settings_section, format.flag_order):
        cached.cache_clear()
    try:
        flag = Flag(key="checkout", name="checkout", settings={"sticky": True})
        data = flag_data(flag, "stub")
        assert data == {"key": "checkout", "stub": {"sticky": True}}
        assert build_flag(data, ["production"], "stub").settings == {"sticky": True}
        text = "flags:\n  - stub: {sticky: true}\n    status: active\n    key: checkout\n"
        assert format.format_text(text).splitlines()[1:] == [
            "  - key: checkout",
            "    stub: {sticky: true}",
            "    status: active",
        ]
    finally:
        monkeypatch.undo()
        for cached in (provider_rules.settings_section, build.settings_section, format.flag_order):
            cached.cache_clear()


def test_the_help_names_the_registered_vendors_and_their_credentials(
    stub: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(registry.provider_class("stub"), "CREDENTIALS", "STUB_TOKEN")
    shown = CliRunner().invoke(main, ["--help"]).output
    assert "them to DevCycle, PostHog or Stub." in " ".join(shown.split())
    assert "POSTHOG_PERSONAL_API_KEY for PostHog, STUB_TOKEN for Stub." in shown


@pytest.mark.parametrize(
    ("desired", "refusal"),
    [
        (
            FlagSet(holdouts={"h": Holdout(name="h", percentage=10)}),
            "holdouts are not supported for stub workspaces",
        ),
        (
            FlagSet(audiences={"beta": ReusableAudience(key="beta", name="beta")}),
            "audiences and custom properties are not supported for stub workspaces",
        ),
    ],
)
def test_what_a_vendor_does_not_declare_is_refused(
    stub: Workspace, desired: FlagSet, refusal: str
) -> None:
    provider = open_provider(stub)
    try:
        with pytest.raises(FlagsyncError, match=refusal):
            make_plan(stub, desired, provider)
    finally:
        provider.close()


def test_the_workspace_refuses_change_requests_as_the_vendor_declares(
    make_workspace: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = make_workspace(
        {},
        workspace="""\
            provider: posthog
            environments:
              production: {project_id: 2, changes: change-request}
            """,
    )
    accepted = CliRunner().invoke(main, ["validate", "--workspace", str(workspace)])
    assert "change requests" not in accepted.output, accepted.output
    monkeypatch.setattr(registry.provider_class("posthog"), "SUPPORTS_CHANGE_REQUESTS", False)
    refused = CliRunner().invoke(main, ["validate", "--workspace", str(workspace)])
    assert refused.exit_code == 1
    assert "change requests are not supported for PostHog yet" in refused.output


def test_another_vendors_settings_field_is_refused_not_dropped(
    stub: Workspace, tmp_path: Path
) -> None:
    (tmp_path / "flags.yaml").write_text(
        "flags:\n"
        "  - key: checkout\n"
        "    posthog: {ensure_experience_continuity: true}\n"
        "    environments:\n"
        "      production: {enabled: true}\n"
    )
    workspace = stub.model_copy(update={"manifests": (tmp_path / "flags.yaml",)})
    with pytest.raises(ValidationFailed) as refused:
        load_flags(workspace)
    assert [p.message for p in refused.value.problems] == [
        "`posthog:` settings apply to PostHog workspaces only"
    ]


def test_a_registered_vendor_refuses_the_manifest_sections_it_does_not_have(
    stub: Workspace, tmp_path: Path
) -> None:
    (tmp_path / "flags.yaml").write_text(
        "flags:\n"
        "  - key: checkout\n"
        "    environments:\n"
        "      production: {enabled: true}\n"
        "holdouts:\n"
        "  - name: h\n"
        "    percentage: 10\n"
        "    environments: [production]\n"
    )
    workspace = stub.model_copy(update={"manifests": (tmp_path / "flags.yaml",)})
    with pytest.raises(ValidationFailed) as refused:
        load_flags(workspace)
    assert [p.message for p in refused.value.problems] == [
        "holdouts are not supported for Stub workspaces"
    ]
