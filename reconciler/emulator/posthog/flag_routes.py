"""The `/api/projects/{project_id}/feature_flags/` endpoints.

DELETE answers 405 with no body: PostHog's `ForbidDestroyModel.destroy` returns a bare
`Response(status=405)` (the OpenAPI document says "No response body"), after authentication and
the project check but before any lookup, so it is 405 even for an id that does not exist.
Soft delete is `PATCH {"deleted": true}`.
"""

from __future__ import annotations

from .errors import not_found
from .flag_read import encoded_list_results, list_flags, serialize_flag
from .flag_write import create_flag, update_flag
from .http import Call, Handler, Reply, encode
from .pagination import paginate
from .state import Record


def _flag(call: Call) -> Record:
    raw = call.params["flag_id"]
    flag = call.state.flag(call.project_id, int(raw)) if raw.isdigit() else None
    if flag is None:
        raise not_found()
    return flag


def list_handler(call: Call) -> Reply:
    flags = list_flags(call.state, call.project_id, call.query)
    page = paginate(call.request, flags)
    results = encoded_list_results(
        call.state, call.project_id, call.query, call.user["id"], page.pop("results")
    )
    # `{count, next, previous}` as `render` encodes it, then the results' kept text: the
    # same bytes as encoding the whole page at once.
    text = encode(page)[:-1] + ',"results":' + results + "}"
    return Reply(page, text=text)


def create_handler(call: Call) -> Reply:
    flag = create_flag(call.state, call.project_id, call.user, call.data())
    return Reply(serialize_flag(call.state, flag), 201)


def retrieve_handler(call: Call) -> Reply:
    return Reply(serialize_flag(call.state, _flag(call)))


def _updater(method: str) -> Handler:
    def handler(call: Call) -> Reply:
        flag = _flag(call)
        update_flag(call.state, flag, call.user, call.data(), method=method)
        return Reply(serialize_flag(call.state, flag))

    return handler


def destroy_handler(call: Call) -> Reply:
    return Reply(None, 405)


COLLECTION: dict[str, Handler] = {"GET": list_handler, "POST": create_handler}
DETAIL: dict[str, Handler] = {
    "GET": retrieve_handler,
    "PATCH": _updater("PATCH"),
    "PUT": _updater("PUT"),
    "DELETE": destroy_handler,
}
