"""The `/api/projects/{project_id}/experiments/` endpoints and lifecycle actions.

DELETE is a bodyless 405 like flags (`ForbidDestroyModel`); soft delete is
`PATCH {"deleted": true}`. A soft-deleted experiment is a 404 for everything except the PATCH
that restores it (`{"deleted": false}`), as PostHog's queryset filtering makes it.
"""

from __future__ import annotations

from collections.abc import Callable

from .errors import not_found
from .experiment_read import list_experiments, serialize_experiment
from .experiment_write import (
    archive,
    create_experiment,
    end,
    launch,
    pause,
    resume,
    update_experiment,
)
from .fields import as_bool
from .http import Call, Handler, Reply
from .pagination import paginate
from .state import PostHogState, Record


def _experiment(call: Call, include_deleted: bool = False) -> Record:
    raw = call.params["experiment_id"]
    experiment = next(
        (
            e
            for e in call.state.experiments_of(call.project_id)
            if raw.isdigit() and e["id"] == int(raw)
        ),
        None,
    )
    if experiment is None or (experiment["deleted"] and not include_deleted):
        raise not_found()
    return experiment


def list_handler(call: Call) -> Reply:
    rows = list_experiments(call.state, call.project_id, call.query)
    page = paginate(call.request, rows)
    page["results"] = [serialize_experiment(call.state, e) for e in page["results"]]
    return Reply(page)


def create_handler(call: Call) -> Reply:
    experiment = create_experiment(call.state, call.project_id, call.user, call.data())
    return Reply(serialize_experiment(call.state, experiment), 201)


def retrieve_handler(call: Call) -> Reply:
    return Reply(serialize_experiment(call.state, _experiment(call)))


def _restoring(call: Call) -> bool:
    """PostHog widens the queryset to deleted rows for an update that sends `deleted: false`."""
    data = call.body if isinstance(call.body, dict) else {}
    if data.get("deleted") is None:
        return False
    try:
        return as_bool(data["deleted"], "deleted") is False
    except Exception:
        return False


def _updater(method: str) -> Handler:
    def handler(call: Call) -> Reply:
        experiment = _experiment(call, include_deleted=_restoring(call))
        update_experiment(call.state, experiment, call.user, call.data(), method=method)
        return Reply(serialize_experiment(call.state, experiment))

    return handler


def destroy_handler(call: Call) -> Reply:
    return Reply(None, 405)


def _action(run: Callable[[PostHogState, Record, Call], Record]) -> Handler:
    def handler(call: Call) -> Reply:
        experiment = run(call.state, _experiment(call), call)
        return Reply(serialize_experiment(call.state, experiment))

    return handler


COLLECTION: dict[str, Handler] = {"GET": list_handler, "POST": create_handler}
DETAIL: dict[str, Handler] = {
    "GET": retrieve_handler,
    "PATCH": _updater("PATCH"),
    "PUT": _updater("PUT"),
    "DELETE": destroy_handler,
}
ACTIONS: dict[str, dict[str, Handler]] = {
    "launch": {"POST": _action(lambda state, e, _call: launch(state, e))},
    "pause": {"POST": _action(lambda state, e, _call: pause(state, e))},
    "resume": {"POST": _action(lambda state, e, _call: resume(state, e))},
    "end": {"POST": _action(lambda _state, e, call: end(e, call.data()))},
    "archive": {"POST": _action(lambda _state, e, _call: archive(e))},
}
