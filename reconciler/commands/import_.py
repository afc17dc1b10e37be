"""`flagsync import`: write manifests from the live state, keeping the comments of files that
already declare a flag (`import` is a Python keyword, hence the module's name)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from reconciler.commands.options import quiet_option, retry_note, workspace_option
from reconciler.exits import reports_errors
from reconciler.manifest.importing import write_imported
from reconciler.providers.base import Provider
from reconciler.reconcile import PlanOptions, open_provider
from reconciler.render.words import counted
from reconciler.workspace import display_name, load_workspace
from reconciler.workspace_write import write_section


@click.command("import")
@workspace_option
@click.option(
    "--flag",
    "flag_patterns",
    multiple=True,
    metavar="PATTERN",
    help="Only flags (and experiments, holdouts: by name) matching (a shell pattern); "
    "repeatable. Default: everything.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Folder for new manifest files (default: the workspace's first manifests folder).",
)
@click.option(
    "--single-file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Put every new flag into this one file instead of one file per flag.",
)
@quiet_option
@reports_errors
def import_(
    workspace_path: Path | None,
    flag_patterns: tuple[str, ...],
    out_dir: Path | None,
    single_file: Path | None,
    quiet: bool,
) -> None:
    """Write manifests from the live state (a whole project, or the flags --flag selects).

    Experiments, holdouts and other project objects the vendor has are written too (an
    experiment's flag as part of its experiment). A flag a manifest already declares is
    rewritten in its file, keeping the file's comments; other flags get new files. Afterwards
    `flagsync plan` shows no changes; what flagsync did not create is taken over with
    `flagsync apply --adopt`.
    """
    workspace = load_workspace(workspace_path)
    provider = open_provider(workspace, retry_note(quiet))
    try:
        everything = provider.read(set())
        options = PlanOptions(flag_patterns=flag_patterns)
        keys = {k for k in [*everything.owned, *everything.others] if options.selects(k)}
        live = provider.read(keys)
        imported = live.flags
        policy_entries = _approval_policy_entries(provider, flag_patterns)
        if provider.SUPPORTS_AUDIENCES and not flag_patterns:
            objects = provider.read_project_objects()
            imported = imported.model_copy(
                update={
                    "audiences": objects.audiences,
                    "custom_properties": objects.custom_properties,
                }
            )
    finally:
        provider.close()
    found, notes = provider.for_import(live, imported, options.selects)
    result = write_imported(workspace, found, out_dir, single_file)
    counts = (
        (len(found.experiments), "experiment"),
        (len(found.holdouts), "holdout"),
        (len(found.custom_properties), "custom property"),
        (len(found.audiences), "audience"),
    )
    extras = "".join(f", {counted(count, noun)}" for count, noun in counts if count)
    click.echo(
        f"Imported {counted(len(found.flags), 'flag')}{extras}: "
        f"{counted(result.created, 'new file')}, {result.updated} updated (comments kept)."
    )
    for note in notes:
        click.echo(f"Note: {note}")
    if policy_entries is not None:
        write_section(workspace.file, "approval_policies", policy_entries)
        click.echo(
            f"Wrote {counted(len(policy_entries), 'approval policy')} to "
            f"{display_name(workspace.file)} (approval_policies)."
        )
    if found.flags and not set(found.flags) <= live.owned:
        click.echo("Flags flagsync did not create are taken over with `flagsync apply --adopt`.")


def _approval_policy_entries(
    provider: Provider[Any], flag_patterns: tuple[str, ...]
) -> list[dict[str, Any]] | None:
    """The live approval policies to write into the workspace file (a whole import only)."""
    if flag_patterns or not provider.SUPPORTS_APPROVAL_POLICIES:
        return None
    return provider.approval_policy_entries()
