"""Sending a planned PostHog call: its refs (`plan.Ref`: a flag, experiment or holdout this
apply creates) filled with the ids this apply learned, the ids of what it creates noted for the
calls after, a 409 on a PATCH explained as an edit made since the plan, and a
refusal that is not a failure answered by `recovery.py`.
"""

from __future__ import annotations

from typing import Any

from reconciler.errors import ApiError, ApplyError, ConflictError, FlagsyncError
from reconciler.plan import ApiCall, Ref
from reconciler.providers.posthog import answers, dependencies
from reconciler.providers.posthog.experiment_recovery import create_experiment, create_holdout
from reconciler.providers.posthog.recovery import Recovering


class Executing(Recovering):
    """The executing part of the PostHog provider."""

    def execute(self, call: ApiCall) -> Any:
        """Send one planned call, with its refs filled with the ids they stand for."""
        created = dependencies.creates(call)
        try:
            return self._execute(call, created)
        except BaseException:
            made = call.makes
            if made is not None and made.resource == "holdout":
                # Experiments waiting for this holdout's id stop waiting.
                self._holdout_ids.failed(int(made.scope or 0), made.key)
            raise

    def _execute(self, call: ApiCall, created: tuple[int, str] | None) -> Any:
        try:
            call = self._filled(call)
            made = call.makes.resource if call.makes is not None else None
            if made == "experiment":
                answer = create_experiment(self.client, call)
            elif made == "holdout":
                answer = create_holdout(self.client, call)
            else:
                answer = self.client.json(
                    call.method, call.path, params=call.params or None, body=call.body
                )
            answers.check_written(call, answer)
        except ApiError as error:
            recovered = self._recover(call, error)
            if recovered is None:
                if created is not None:
                    self._ids.failed(*created)
                raise self._explained(call, error) from None
            answer = recovered
        except FlagsyncError:
            if created is not None:
                self._ids.failed(*created)
            raise
        if created is not None and isinstance(answer, dict) and "id" in answer:
            self._ids.note(created[0], created[1], int(answer["id"]))
        self._note_experiment(call, answer)
        self._note_holdout(call, answer)
        return answer

    def describe(self, call: ApiCall) -> str:
        """The call as it was sent: ids in place of the refs' tokens in its path."""
        try:
            return self._filled(call, path_only=True).describe()
        except FlagsyncError:
            return call.describe()

    def _note_holdout(self, call: ApiCall, answer: Any) -> None:
        """A created holdout's id, for the experiments of the same apply that use it."""
        made = call.makes
        if made is not None and made.resource == "holdout" and isinstance(answer, dict):
            self._holdout_ids.note(int(made.scope or 0), str(answer["name"]), int(answer["id"]))

    def _note_experiment(self, call: ApiCall, answer: Any) -> None:
        """A created experiment's id and its new flag's id, for the calls after it."""
        made = call.makes
        if made is None or made.resource != "experiment" or not isinstance(answer, dict):
            return
        project = int(made.scope or 0)
        key = str(answer.get("feature_flag_key") or (call.body or {}).get("feature_flag_key"))
        self._experiment_ids[(project, key)] = int(answer["id"])
        flag = answer.get("feature_flag")
        if isinstance(flag, dict) and "id" in flag:
            self._ids.note(project, key, int(flag["id"]))

    def _filled(self, call: ApiCall, path_only: bool = False) -> ApiCall:
        """The call with each of its refs filled with the id it stands for, in its project:
        in its path, the experiment (or the experiment's flag) a preceding call of the step
        created; in its body, a flag another worker creates (waiting, bounded, for its create
        to answer) or a holdout this apply created. `path_only`: only the path's (to describe
        the call as sent)."""
        values: dict[Ref, Any] = {}
        in_path = [ref for ref in call.refs if ref.token in call.path]
        in_body = [] if path_only else [ref for ref in call.refs if ref not in in_path]
        for ref in in_path:
            project = int(ref.scope or 0)
            if ref.resource == "experiment":
                known: int | None = self._experiment_ids.get((project, ref.key))
            else:
                known = self._ids.wait(project, ref.key, timeout=0)
            if known is None:
                raise ApplyError(
                    f"{call.describe()}: experiment '{ref.key}' was not created in PostHog "
                    f"project {project}, so this call cannot be sent"
                )
            values[ref] = known
        for ref in sorted(in_body, key=lambda ref: ref.resource == "holdout"):
            project = int(ref.scope or 0)
            if ref.resource == "holdout":
                known = self._holdout_ids.wait(project, ref.key)
                if known is None:
                    raise ApplyError(
                        f"{call.describe()}: holdout '{ref.key}' was not created in PostHog "
                        f"project {project}, so the experiment cannot use it"
                    )
            else:
                known = self._ids.wait(project, ref.key)
                if known is None:
                    flag = (call.body or {}).get("key", "") if isinstance(call.body, dict) else ""
                    raise ApplyError(
                        f"{call.describe()}: flag '{flag}' depends on flag '{ref.key}', which "
                        f"was not created in PostHog project {project}"
                    )
            values[ref] = known
        return call.filled(values)

    def _explained(self, call: ApiCall, error: ApiError) -> ApiError:
        if error.status != 409 or call.method != "PATCH":
            return error
        key = ((call.body or {}).get("original_flag") or {}).get("key", "")
        return ConflictError(
            error.call,
            f"flag '{key}' was changed in PostHog since the plan; run `flagsync plan` again to "
            "see the current state (nothing was overwritten)",
            status=409,
            vendor_message=error.vendor_message,
        )
