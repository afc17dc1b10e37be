"""Loading a flags-only workspace one file at a time, letting go of each file once read.

A workspace's rules across files are few: flag keys and variable keys are unique in the
workspace; everything else the rules check sits within one flag, or reads of another flag
only a few facts (a dependency on a flag: where that flag is on, its variations), when the
vendor's rules say so (`ManifestRules.flags_checked_per_file`). So, file by file, the loader
checks the file's flags, builds their models and keeps only their keys and those facts (equal
facts once); the file's plain data and text go as soon as the next file arrives, and the
references to flags of other files are checked once every file is read. Keeping every file
until the rules had run was most of the memory of loading a large workspace (about 112 MB per
10,000 DevCycle flags beside 61 MB of models).

Problems are rare and their messages are pinned (`file:line:col`, order, wording): the moment
anything is wrong, or a file has a section the rules check against the flags (`metrics:`,
`custom_properties:`, ...), this reader stops and the loader runs every rule over every file
as it always did, reading again the files let go of. A valid flags-only workspace comes out
as the same `FlagSet` the complete reading builds.
"""

from __future__ import annotations

from collections.abc import Hashable

from reconciler.manifest import schema_check
from reconciler.manifest.build import build_flag
from reconciler.manifest.declared import DeclaredManifests
from reconciler.manifest.provider_rules import ManifestRules, foreign_settings, rules_for
from reconciler.manifest.reading import Read
from reconciler.manifest.rules import check_all, flag_sites
from reconciler.manifest.source import Document
from reconciler.model import EnvironmentConfig, Flag

FLAG_SECTION = "flags"


class LeanLoad:
    """Flags checked and built file by file; `active` turns False for good once a file needs
    the complete reading (the caller then keeps documents and reads the dropped ones again)."""

    def __init__(self, workspace: DeclaredManifests, ready: bool = True) -> None:
        self.workspace = workspace
        self.rules: ManifestRules = rules_for(workspace.provider)
        self.active = ready and self.rules.flags_checked_per_file
        self.flags: list[Flag] = []
        self._flag_facts: dict[str, Hashable | None] = {}  # every flag key read so far
        self._variable_keys: set[str] = set()
        self._references: list[tuple[str, Hashable]] = []  # to flags of other files
        self._interned: dict[Hashable, Hashable] = {}  # equal facts kept once
        self._shared: dict[str, EnvironmentConfig] = {}  # see `build_flag`

    def take(self, read: Read) -> bool:
        """Check and build one file's flags; True when they were taken and the file's data
        can go, False (for good) when the complete reading must decide."""
        if self.active:
            self.active = self._take(read)
            if not self.active:
                self._drop()
        return self.active

    def finish(self) -> bool:
        """Check the references between flags of different files once every file is read;
        True when the flags stand, False (for good) when the complete reading must decide."""
        if self.active:
            facts = self._flag_facts
            self.active = all(
                self.rules.reference_holds(reference, facts.get(key))
                for key, reference in self._references
            )
            if not self.active:
                self._drop()
        return self.active

    def _drop(self) -> None:
        self.flags = []  # the complete reading builds everything again
        self._flag_facts = {}
        self._variable_keys = set()
        self._references = []
        self._interned = {}
        self._shared = {}

    def _take(self, read: Read) -> bool:
        if not isinstance(read, Document) or not isinstance(read.data, dict):
            return False  # unreadable or empty: a problem, located by the complete reading
        if any(section != FLAG_SECTION for section in read.data):
            return False  # a section the rules check against flags of every file
        if schema_check.located_errors(read, "manifest"):
            return False
        sites = flag_sites([read])
        environments = self.workspace.environment_names
        provider = self.workspace.provider
        rules = self.rules
        if (
            check_all(sites, environments)
            or rules.check_flags(sites)
            or foreign_settings(sites, self.workspace.provider)
            or rules.check_metrics([], sites)
            or rules.check_experiments([], sites, environments)
            or rules.check_audiences([], [], sites)
        ):
            return False
        flags: list[Flag] = []
        here = {site.data["key"] for site in sites}
        for site in sites:
            key = site.data["key"]
            variables = list(site.data.get("variables") or {})
            if key in self._flag_facts or self._variable_keys.intersection(variables):
                return False  # declared in an earlier file: said where by the complete reading
            facts = rules.flag_facts(site)
            if facts is not None:
                facts = self._interned.setdefault(facts, facts)
            self._flag_facts[key] = facts
            self._variable_keys.update(variables)
            # A reference within this file was checked with the file; one to another file's
            # flag waits for every file to be read (`finish`).
            self._references += [ref for ref in rules.flag_references(site) if ref[0] not in here]
            try:
                flags.append(build_flag(site.data, environments, provider, self._shared))
            except Exception:  # noqa: BLE001 - the complete reading reports or raises it
                return False
        self.flags.extend(flags)
        return True
