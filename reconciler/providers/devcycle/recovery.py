"""Lost writes found again: a refusal that shows the write already happened (an earlier
attempt whose answer was lost, or a concurrent apply of the same manifests) answers as the
write would have.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from reconciler.errors import ApiError
from reconciler.plan import ApiCall
from reconciler.providers.devcycle import (
    answers,
    audiences,
    change_requests,
    custom_properties,
    metrics,
    translate,
)
from reconciler.providers.devcycle.read import Reading, model_fingerprint
from reconciler.providers.shape import check


class Recovering(Reading):
    """The recovery part of the DevCycle provider."""

    def _recover(self, call: ApiCall, error: ApiError) -> Any | None:
        """The answer a call would have had, when its refusal shows that it already happened."""
        try:
            return self._recovered(call, error)
        except ApiError:
            return None  # the look-up failed too: report the original refusal

    def _recovered(self, call: ApiCall, error: ApiError) -> Any | None:
        if call.method == "DELETE" and error.status == 404:
            return {}  # already gone: what the delete wanted
        made = call.makes
        if made is not None and made.resource == "flag" and error.status == 409:
            return self._same_feature(call)
        if call.method == "POST" and error.status == 409 and isinstance(call.body, dict):
            found = self._same_project_object(call, call.body)
            if found is not None:
                return found
        if not error.after_lost_attempt or error.status is None or error.status >= 500:
            return None
        if call.role == "associate" and error.status == 409:
            return {}  # the association made by the lost attempt (it has no other content)
        about = call.subject
        if about is None or about.kind != "change_request" or about.key is None:
            return None
        if call.role == "open-request":
            path = change_requests.requests_path(self._v2, about.key)
            found = self.client.json("GET", path)
            check(f"GET {path}", answers.CHANGE_REQUESTS, found, "a list of change requests")
            drafts = [r for r in found if r.get("status") == "draft"]
            return drafts[0] if len(drafts) == 1 else None
        if call.role in ("submit-request", "cancel-request") and about.id is not None:
            path = change_requests.request_path(self._v2, about.key, about.id)
            request = self.client.json("GET", path)
            wanted = "pending" if call.role == "submit-request" else "cancelled"
            return (
                request if isinstance(request, dict) and request.get("status") == wanted else None
            )
        return None

    def _same_feature(self, call: ApiCall) -> Any | None:
        """A create refused because the key is taken is done if the feature under that key is
        flagsync's and exactly what this create would have made (a lost answer, or a
        concurrent apply of the same manifests)."""
        key = quote(str((call.body or {}).get("key", "")), safe="")
        feature = self.client.json("GET", f"{self._v2}/features/{key}")
        check(f"GET {self._v2}/features/{key}", answers.FEATURE, feature, "a feature")
        if not translate.is_owned(feature, marker=self._marker):
            return None
        if call.expect is None or self._found_fingerprint(feature) == call.expect:
            return feature
        # The feature may use audiences made since the read (by this apply, or another): ids
        # the read never saw. Compare again with the audiences the project has now.
        current = self._list("audiences", answers.AUDIENCES)
        self._last_audience_keys = {
            **self._last_audience_keys,
            **{a["_id"]: a.get("key") or a["_id"] for a in current if isinstance(a, dict)},
        }
        return feature if self._found_fingerprint(feature) == call.expect else None

    def _found_fingerprint(self, feature: dict[str, Any]) -> str:
        """The model fingerprint of a feature found while applying, its audience ids read as
        the keys known now: those of the last read and of the audiences this apply made."""
        audience_keys = {
            **self._last_audience_keys,
            **{found: key for key, found in self._created_audience_ids.items()},
        }
        found = translate.feature_to_flag(
            feature,
            self._last_environment_keys,
            audience_keys,
            self.workspace.environment_names,
        )
        return model_fingerprint(found)

    def _same_project_object(self, call: ApiCall, body: dict[str, Any]) -> Any | None:
        """A custom property or audience create refused as a duplicate is done when the object
        under that key is exactly what it would have made."""
        checks = {
            "custom_property": custom_properties.is_created,
            "audience": audiences.is_created,
            "metric": metrics.is_created,
        }
        made = call.makes.resource if call.makes is not None else None
        is_created = checks.get(made or "")
        if is_created is None:
            return None
        found = self.client.json("GET", f"{call.path}/{quote(str(body.get('key', '')), safe='')}")
        return found if is_created(found, body) else None
