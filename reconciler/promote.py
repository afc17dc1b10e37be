"""Promotion: make one environment's targeting in the manifests equal another's.

`flagsync promote --from staging --to production` is an edit of the manifests, reviewed like
any other: each selected flag's `environments.<to>` block becomes a copy of its
`environments.<from>` block. The edit is made on the text, line by line, so everything else in
the file (comments, blank lines, quoting, flow or block style, the order of keys) stays exactly
as written; within the copied block the source's own formatting and comments come along.

What cannot be promoted as it is (a target environment that takes changes as change requests,
a cohort or another flag the target's project lacks) is named and nothing is guessed: such a
flag is left as it is. Vendor checks come from the provider (`ChecksPromotion`); with no
provider (offline) only what the manifests and workspace tell is checked.

After the edit the selected flags are read back with flagsync's own reader and must mean what
was intended (target equal to source); otherwise nothing is written.
"""

from __future__ import annotations

import difflib
import fnmatch
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from reconciler.errors import PlanError, UsageError
from reconciler.manifest import fast_yaml
from reconciler.manifest.build import build_flag
from reconciler.manifest.loader import load_flags, manifest_files
from reconciler.model import EnvironmentConfig, Flag, FlagSet
from reconciler.workspace import Workspace, display_name


@runtime_checkable
class ChecksPromotion(Protocol):
    """A provider that knows what the target environment lacks for a promotion (PostHog: a
    project without the cohort a target names)."""

    def promotion_problems(
        self, flag: Flag, source: EnvironmentConfig, target: str, desired: FlagSet
    ) -> list[str]: ...


@dataclass(frozen=True)
class Named:
    """A flag that is not promoted, and why."""

    key: str
    file: str
    line: int
    reason: str

    def text(self) -> str:
        return f"{self.file}:{self.line}: {self.key}: {self.reason}"


@dataclass
class FileEdit:
    path: Path
    before: str
    after: str

    def diff(self) -> str:
        name = display_name(self.path)
        return "".join(
            difflib.unified_diff(
                self.before.splitlines(keepends=True),
                self.after.splitlines(keepends=True),
                f"a/{name}",
                f"b/{name}",
            )
        )


@dataclass
class Promotion:
    """The outcome: flags whose target now equals their source, those equal already, those
    without the source environment, those named as not promotable, and the file edits."""

    source: str
    target: str
    promoted: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    not_in_source: list[str] = field(default_factory=list)
    turned_off: list[str] = field(default_factory=list)
    """Promoted from a source where the flag is off by default (DevCycle: not configured)."""
    experiments: list[str] = field(default_factory=list)
    """Experiments in the source and not the target: their `environments` list is the user's."""
    named: list[Named] = field(default_factory=list)
    edits: list[FileEdit] = field(default_factory=list)
    patterns: tuple[str, ...] = ()

    @property
    def matched(self) -> bool:
        """Whether any flag or experiment was selected at all."""
        return bool(
            self.promoted or self.unchanged or self.not_in_source or self.named or self.experiments
        )

    def write(self) -> None:
        for edit in self.edits:
            edit.path.write_text(edit.after, encoding="utf-8")

    def diff(self) -> str:
        return "".join(edit.diff() for edit in self.edits)


def _selects(patterns: tuple[str, ...], key: str) -> bool:
    return not patterns or any(fnmatch.fnmatchcase(key, pattern) for pattern in patterns)


def served_variations(config: EnvironmentConfig) -> set[str]:
    return {variation for target in config.targets for variation in target.serve}


def generic_problems(
    workspace: Workspace,
    flag: Flag,
    source: EnvironmentConfig,
    target: str,
    allow_change_requests: bool = False,
) -> list[str]:
    """What the workspace and the flag itself tell: a change-request environment, a
    variation the source serves that the flag does not declare for the target."""
    problems = []
    settings = workspace.environments[target]
    if settings.changes == "change-request" and not allow_change_requests:
        reviewers = ", ".join(settings.reviewers) or "its reviewers"
        problems.append(
            f"{target} takes changes as change requests (to {reviewers}): pass "
            "--allow-change-requests to promote into it anyway; apply then opens the requests"
        )
    missing = sorted(served_variations(source) - set(flag.variations))
    if missing and flag.variations:
        problems.append(f"serves variation(s) {', '.join(missing)} the flag does not declare")
    return problems


_KEY = re.compile(r"""("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s:#'"][^:#]*?)(\s*:)""")
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}


def _key_text(name: str) -> str:
    if _PLAIN.fullmatch(name) and name.lower() not in _YAML_WORDS:
        return name
    return json.dumps(name)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _block(lines: list[str], start: int, column: int) -> tuple[int, int]:
    """Lines [start, end) of the mapping entry whose key is at (start, column): its key line
    and every line indented deeper; blank and comment lines at its end belong to what
    follows, so they are not part of it."""
    end = index = start + 1
    while index < len(lines):
        stripped = lines[index].strip()
        if stripped and not stripped.startswith("#"):
            if _indent(lines[index]) <= column:
                break
            end = index + 1
        index += 1
    return start, end


def _renamed(line: str, column: int, name: str) -> str:
    match = _KEY.match(line, column)
    if match is None:
        raise PlanError(f"cannot read the key of: {line.strip()}")
    return line[:column] + _key_text(name) + line[match.end(1) :]


def _block_value(line: str, column: int) -> bool:
    """Whether the entry's value starts on the next line (`production:` + maybe a comment)."""
    match = _KEY.match(line, column)
    rest = line[match.end(2) :].strip() if match else "x"
    return not rest or rest.startswith("#")


@dataclass(frozen=True)
class _Site:
    key: str
    line: int
    environments: CommentedMap | None
    flow: bool


def _sites(text: str, name: str) -> Iterator[_Site]:
    try:
        document = YAML(typ="rt").load(text)
    except YAMLError as error:
        raise PlanError(f"{name}: not YAML: {error}") from None
    if not isinstance(document, CommentedMap) or not isinstance(
        document.get("flags"), CommentedSeq
    ):
        return
    flags: CommentedSeq = document["flags"]
    for index, item in enumerate(flags):
        if not isinstance(item, CommentedMap) or not isinstance(item.get("key"), str):
            continue
        envs = item.get("environments")
        line = flags.lc.item(index)[0] + 1
        if not isinstance(envs, CommentedMap):
            yield _Site(item["key"], line, None, item.fa.flow_style())
        else:
            yield _Site(item["key"], line, envs, item.fa.flow_style() or envs.fa.flow_style())


def _edit(
    lines: list[str],
    envs: CommentedMap,
    source: str,
    target: str,
    order: list[str],
) -> tuple[int, int, list[str]]:
    """The splice (start, end, new lines) that makes `target`'s entry a copy of `source`'s."""
    if source in envs:
        line, column = envs.lc.key(source)
        start, end = _block(lines, line, column)
        copied = list(lines[start:end])
        copied[0] = _renamed(copied[0], column, target)
    else:  # where a vendor configures every environment, one left out is off with no targets
        line, column = envs.lc.key(next(iter(envs)))
        copied = [" " * column + f"{_key_text(target)}: {{enabled: false}}\n"]
    if target in envs:
        line, column = envs.lc.key(target)
        start, end = _block(lines, line, column)
        if _block_value(lines[start], column) and _block_value(copied[0], column):
            copied[0] = lines[start]  # the target's own key line, with its comment
        return start, end, copied
    present = list(envs)
    before = [env for env in order[: order.index(target)] if env in envs] if target in order else []
    anchor = before[-1] if before else present[-1]
    line, column = envs.lc.key(anchor)
    _, end = _block(lines, line, column)
    if not lines[end - 1].endswith("\n"):
        copied = ["\n", *copied]
    return end, end, copied


def _target_equals_source(
    text: str, key: str, source: str, target: str, workspace: Workspace
) -> bool:
    data = fast_yaml.load_plain(text)
    for item in data.get("flags") or []:
        if isinstance(item, dict) and item.get("key") == key:
            flag = build_flag(item, workspace.environment_names, workspace.provider)
            return flag.environments.get(target) == flag.environments.get(source)
    return False


def promote(
    workspace: Workspace,
    source: str,
    target: str,
    patterns: tuple[str, ...] = (),
    checker: ChecksPromotion | None = None,
    allow_change_requests: bool = False,
) -> Promotion:
    """Plan the edit of every manifest (nothing is written: see `Promotion.write`)."""
    for env in (source, target):
        if env not in workspace.environments:
            raise UsageError(
                f"'{env}' is not an environment of the workspace "
                f"({', '.join(workspace.environment_names)})"
            )
    if source == target:
        raise UsageError("--from and --to name the same environment")
    desired = load_flags(workspace)
    files, _ = manifest_files(workspace)
    result = Promotion(source, target, patterns=patterns)
    result.experiments = [
        key
        for key, experiment in desired.experiments.items()
        if _selects(patterns, key)
        and source in experiment.environments
        and target not in experiment.environments
    ]
    for path in files:
        name = display_name(path)
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines(keepends=True)
        splices: list[tuple[int, int, list[str]]] = []
        keys: list[str] = []
        for site in _sites(text, name):
            flag = desired.flags.get(site.key)
            if flag is None or not _selects(patterns, site.key):
                continue
            wanted = flag.environments.get(source)
            if wanted is None:
                if flag.environments.get(target) is not None:
                    result.not_in_source.append(site.key)
                continue
            if flag.environments.get(target) == wanted:
                result.unchanged.append(site.key)
                continue
            reasons = generic_problems(workspace, flag, wanted, target, allow_change_requests)
            if checker is not None:
                reasons += checker.promotion_problems(flag, wanted, target, desired)
            if site.environments is None or site.flow:
                reasons.append(
                    "its environments are written in flow style ({...}) or missing: "
                    "write them as a block to promote"
                )
            if reasons:
                result.named += [Named(site.key, name, site.line, r) for r in reasons]
                continue
            assert site.environments is not None
            if source not in site.environments:
                result.turned_off.append(site.key)
            splices.append(
                _edit(lines, site.environments, source, target, workspace.environment_names)
            )
            keys.append(site.key)
        if not splices:
            continue
        for start, end, new in sorted(splices, key=lambda s: s[0], reverse=True):
            lines[start:end] = new
        after = "".join(lines)
        for key in keys:
            if not _target_equals_source(after, key, source, target, workspace):
                raise PlanError(
                    f"{name}: {key}: the edit would not make {target} equal {source}; "
                    "nothing was written (edit this flag by hand)"
                )
        result.promoted += keys
        result.edits.append(FileEdit(path, text, after))
    return result


def summary(promotion: Promotion) -> str:
    """What a person reads first: promoted, named (not promoted) and left alone."""
    src, dst = promotion.source, promotion.target
    out = []
    if promotion.promoted:
        out.append(
            f"Promoted {src} -> {dst}: {', '.join(promotion.promoted)} "
            f"({len(promotion.edits)} file(s))."
        )
    elif promotion.patterns and not promotion.matched:
        out.append(f"--flag {' '.join(promotion.patterns)}: no flag in the manifests matches.")
    else:
        out.append(f"Nothing to promote from {src} to {dst}.")
    if promotion.turned_off:
        out.append(
            f"Not configured in {src}, so off there: now off in {dst} too: "
            f"{', '.join(promotion.turned_off)}."
        )
    if promotion.unchanged:
        out.append(f"Already equal: {', '.join(promotion.unchanged)}.")
    if promotion.experiments:
        out.append(
            f"Experiments run where their `environments` list says; add {dst} to it by hand "
            f"to start them there: {', '.join(promotion.experiments)}."
        )
    if promotion.not_in_source:
        out.append(
            f"Not configured in {src}, left as they are: {', '.join(promotion.not_in_source)}."
        )
    if promotion.named:
        out.append("Cannot be promoted as they are (left unchanged):")
        out += [f"  ✗ {named.text()}" for named in promotion.named]
    return "\n".join(out) + "\n"


def as_json(promotion: Promotion) -> dict[str, Any]:
    return {
        "from": promotion.source,
        "to": promotion.target,
        "promoted": promotion.promoted,
        "unchanged": promotion.unchanged,
        "not_in_source": promotion.not_in_source,
        "turned_off": promotion.turned_off,
        "experiments_not_promoted": promotion.experiments,
        "not_promotable": [
            {"key": n.key, "file": n.file, "line": n.line, "reason": n.reason}
            for n in promotion.named
        ],
        "files": [display_name(edit.path) for edit in promotion.edits],
    }
