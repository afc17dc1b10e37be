"""Ties the pieces together for the commands: manifests + live state -> plan."""

from __future__ import annotations

from reconciler.model import FlagSet
from reconciler.plan import Plan, diff_flagsets
from reconciler.providers.devcycle.provider import DevCycleProvider
from reconciler.workspace import Workspace


def open_provider(workspace: Workspace) -> DevCycleProvider:
    """The provider the workspace names, with credentials from the environment."""
    return DevCycleProvider.from_workspace(workspace)


def make_plan(workspace: Workspace, desired: FlagSet, provider: DevCycleProvider) -> Plan:
    """Read live state, diff it against the manifests, and attach the calls per flag."""
    live = provider.read(managed=set(desired.flags))
    changes = diff_flagsets(desired, live.flags)
    steps = []
    for key, flag in desired.flags.items():
        flag_changes = [change for change in changes if change.key == key]
        if flag_changes:
            steps.append(provider.step_for(flag, live, flag_changes))
    return Plan(
        provider=provider.name,
        project=workspace.project,
        environments=workspace.environment_names,
        changes=changes,
        steps=steps,
        fingerprints=live.fingerprints,
        unmanaged=live.unmanaged,
    )
