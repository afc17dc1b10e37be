"""Planning PostHog experiments: per project, the changes a reviewer reads and the calls.

An experiment lives in each project its manifest names, so every change is per environment.
The lifecycle is declarative but one-way, as PostHog's is: `launch/` starts a draft, `end/`
stops a running experiment, and nothing moves one back; a manifest asking for that is a plan
error rather than a silent no-op. After launch PostHog freezes the variant keys (splits may
still move, with `update_feature_flag_params`), so changing the keys then is a plan error too.

A workspace owns an experiment when its flag carries the workspace's marker (experiments have
no tags), with the verdicts of flags (`reconciler.ownership`): a create tags the flag it made,
an experiment another workspace owns is never touched, one with the bare legacy marker is taken
over by a named workspace that declares it, and an unmarked one is changed only with `--adopt`,
which tags it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from reconciler.errors import PlanError
from reconciler.model import EXPERIMENT_STATUSES, Experiment
from reconciler.ownership import LEGACY_MARKER, Ownership
from reconciler.plan import (
    ApiCall,
    CallRole,
    Change,
    FieldChange,
    Ref,
    Step,
    Subject,
    field_changes,
)
from reconciler.providers.posthog import experiments as translate
from reconciler.providers.posthog.context import flag_ref
from reconciler.providers.posthog.holdouts import holdout_ref, placeholder_name

FORWARD_ONLY = "PostHog experiments only move forward: draft → running → stopped → archived"
HoldoutReference = Callable[[str, str], int | str]
"""(environment, holdout name) -> the holdout's id in that project, or its placeholder."""


def experiment_ref(key: str, project_id: int | str) -> Ref:
    """The id of the experiment a preceding call of the same step creates."""
    return Ref(resource="experiment", key=key, scope=str(project_id))


def experiment_placeholder(key: str) -> str:
    """What stands for that id in a planned call's path: `{experiment-id:<key>}`."""
    return Ref(resource="experiment", key=key).token


@dataclass(frozen=True)
class LiveExperiment:
    """One project's experiment as read, with its feature flag (None if not listed)."""

    raw: dict[str, Any]
    flag: dict[str, Any] | None
    project_id: int
    environment: str

    @property
    def model(self) -> Experiment:
        return translate.experiment_to_model(self.raw, self.flag, self.environment)

    @property
    def owned(self) -> bool:
        return translate.owned(self.flag)

    @property
    def tags(self) -> list[object]:
        return list((self.flag or {}).get("tags") or [])


@dataclass
class ExperimentWork:
    """What a plan does for one experiment, and the projects it would have to adopt."""

    changes: list[Change] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    adoptable: list[str] = field(default_factory=list)
    elsewhere: dict[str, str] = field(default_factory=dict)
    """Declared experiments another workspace owns, and that workspace's name."""


def comparable(experiment: Experiment) -> dict[str, Any]:
    """The fields a plan compares (the key and environments are where, not what)."""
    return experiment.model_dump(mode="json", exclude={"key", "environments"})


def plan_experiment(
    desired: Experiment,
    copies: dict[str, LiveExperiment],
    project_ids: dict[str, int],
    environments: list[str],
    adopt: bool,
    holdout_ref: HoldoutReference,
    ownership: Ownership | None = None,
) -> ExperimentWork:
    """Changes and steps for `desired` in each of `environments` it names."""
    ownership = ownership or Ownership()
    work = ExperimentWork()
    for env in desired.environments:
        if env not in environments:
            continue
        holdout = None if desired.holdout is None else holdout_ref(env, desired.holdout)
        live = copies.get(env)
        if live is None:
            work.changes.append(_change("create", desired.key, env, comparable(desired), {}))
            step = _create_step(desired, env, project_ids[env], holdout, ownership.marker)
            work.steps.append(step)
            continue
        _update(desired, live, adopt, work, holdout, ownership)
    return work


def _change(
    action: str, key: str, env: str, after: dict[str, Any], before: dict[str, Any]
) -> Change:
    return Change.model_validate(
        {
            "action": action,
            "resource": "experiment",
            "key": key,
            "environment": env,
            "fields": [f.model_dump() for f in field_changes(before, after)],
        }
    )


def _create_step(
    desired: Experiment, env: str, project_id: int, holdout: int | str | None, marker: str
) -> Step:
    base = f"/api/projects/{project_id}"
    body = translate.create_body(desired, holdout)
    flag = flag_ref(desired.key, project_id)
    made = experiment_ref(desired.key, project_id)
    scope = str(project_id)
    calls = [
        ApiCall(
            method="POST",
            path=f"{base}/experiments/",
            body=body,
            refs=_holdout_refs(holdout, project_id),
            makes=made,
            subject=Subject(kind="experiment", key=desired.key, scope=scope),
        ),
        ApiCall(
            method="PATCH",
            path=f"{base}/feature_flags/{flag.token}/",
            role="tag",
            refs=[flag],
            body=translate.ownership_body(None, marker),
            subject=Subject(kind="flag", key=desired.key, id=flag.token, scope=scope),
        ),
    ]
    about = Subject(kind="experiment", key=desired.key, id=made.token, scope=scope)
    calls.extend(_lifecycle(base, made, "draft", desired.status, about))
    return Step(
        action="create", resource="experiment", key=desired.key, environments=[env], calls=calls
    )


def _lifecycle(
    base: str, experiment: str | Ref, current: str, wanted: str, about: Subject | None = None
) -> list[ApiCall]:
    """`launch/` and `end/` calls that move `current` forward to `wanted`; `experiment` is the
    live experiment's id, or the ref to the one the step creates; `about` what the calls are
    about."""
    refs = [experiment] if isinstance(experiment, Ref) else []
    path = f"{base}/experiments/{experiment.token if isinstance(experiment, Ref) else experiment}"

    def call(action: CallRole) -> ApiCall:
        return ApiCall(
            method="POST",
            path=f"{path}/{action}/",
            role=action,
            refs=refs,
            body={},
            subject=about,
        )

    calls = []
    if current == "draft" and wanted != "draft":
        calls.append(call("launch"))
    ended = ("stopped", "archived")
    if current not in ended and wanted in ended:
        calls.append(call("end"))
    if current != "archived" and wanted == "archived":
        # `archive/` needs an ended experiment (`ExperimentService.archive_experiment`).
        calls.append(call("archive"))
    return calls


def _holdout_refs(holdout: int | str | None, project_id: int | str) -> list[Ref]:
    """The ref to a holdout this apply creates, when the experiment's body names one."""
    name = placeholder_name(holdout)
    return [] if name is None else [holdout_ref(name, project_id)]


def _update(
    desired: Experiment,
    live: LiveExperiment,
    adopt: bool,
    work: ExperimentWork,
    holdout: int | str | None,
    ownership: Ownership,
) -> None:
    current = live.model
    where = f"experiment '{desired.key}' [{live.environment}]"
    if EXPERIMENT_STATUSES.index(desired.status) < EXPERIMENT_STATUSES.index(current.status):
        raise PlanError(
            f"{where}: the manifest says {desired.status}, but it is {current.status} in PostHog "
            f"project {live.project_id}. {FORWARD_ONLY}"
        )
    if current.status != "draft" and set(desired.variants) != set(current.variants):
        raise PlanError(
            f"{where}: variants {', '.join(current.variants)} cannot become "
            f"{', '.join(desired.variants)}: PostHog freezes an experiment's variant keys once "
            "it is launched (splits and payloads may still change)"
        )
    if current.status != "draft" and desired.holdout != current.holdout:
        raise PlanError(
            f"{where}: holdout {_holdout_name(current.holdout)} cannot become "
            f"{_holdout_name(desired.holdout)}: PostHog refuses a holdout change once an "
            'experiment is launched ("Can\'t update holdout on running Experiment")'
        )
    verdict = ownership.verdict(live.tags)
    if verdict == "elsewhere":
        work.elsewhere[f"{desired.key} (experiment) [{live.environment}]"] = ownership.owner(
            live.tags
        )
        return
    adopting = verdict != "mine"
    if verdict == "none" and not adopt:
        if desired != current.model_copy(update={"environments": desired.environments}):
            work.adoptable.append(f"{desired.key} (experiment) [{live.environment}]")
        return
    change = _change(
        "update", desired.key, live.environment, comparable(desired), comparable(current)
    )
    if verdict == "legacy":
        change.fields.insert(0, FieldChange.at(("managed",), LEGACY_MARKER, ownership.marker))
    elif adopting:
        change.fields.insert(0, FieldChange.at(("managed",), False, True))
    if not change.fields:
        return
    base = f"/api/projects/{live.project_id}"
    experiment_id = str(live.raw["id"])
    calls = []
    flag_path = f"{base}/feature_flags/{(live.flag or {}).get('id')}/"
    scope = str(live.project_id)
    flag_about = Subject(
        kind="flag", key=desired.key, id=str((live.flag or {}).get("id")), scope=scope
    )
    about = Subject(kind="experiment", key=desired.key, id=experiment_id, scope=scope)
    payloads = (
        None if live.flag is None else translate.flag_payloads_body(desired, current, live.flag)
    )
    if payloads is not None:
        # The flag first: PostHog refuses variants whose flag still has a payload for a variant
        # that is going away, and the flag's complete filters carry the new variants anyway.
        calls.append(ApiCall(method="PATCH", path=flag_path, body=payloads, subject=flag_about))
    body = translate.update_body(desired, current, live.raw, holdout)
    if body is not None:
        calls.append(
            ApiCall(
                method="PATCH",
                path=f"{base}/experiments/{experiment_id}/",
                body=body,
                refs=_holdout_refs(holdout, live.project_id),
                subject=about,
            )
        )
    if live.flag is not None and adopting:
        calls.append(
            ApiCall(
                method="PATCH",
                path=flag_path,
                role="tag",
                body=translate.ownership_body(live.flag, ownership.marker),
                subject=flag_about,
            )
        )
    calls.extend(_lifecycle(base, experiment_id, current.status, desired.status, about))
    work.changes.append(change)
    work.steps.append(
        Step(
            action="update",
            resource="experiment",
            key=desired.key,
            environments=[live.environment],
            calls=calls,
        )
    )


def _holdout_name(name: str | None) -> str:
    return "(none)" if name is None else f"'{name}'"
