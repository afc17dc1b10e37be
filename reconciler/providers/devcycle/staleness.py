"""What DevCycle knows about a feature's staleness, said where flagsync shows live state.

DevCycle lists a project's stale features (`GET /v1/projects/{key}/staleness`, paged, schema
FeatureStalenessEntity in the management OpenAPI) with a `reason` (released, unused,
unmodifiedShort, unmodifiedLong; DevCycleHQ/cli `src/api/zodSchemas.ts` FeatureStalenessEntity
reads the same fields) and `updatedAt`. Its rules for deciding staleness are not
public, so flagsync does not recompute them: it reports the vendor's verdict for the features
it manages. The list is a courtesy: when it cannot be read (a token without the permission, an
older server, an outage) the user loses the notices, said once, never the plan.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from reconciler.errors import FlagsyncError
from reconciler.providers.devcycle import answers
from reconciler.providers.devcycle.client import DevCycleClient, PageStream
from reconciler.providers.shape import check


class StaleList:
    """The project's stale features, downloading in the background from when it is made."""

    def __init__(self, client: DevCycleClient, v1: str) -> None:
        self._call = f"GET {v1}/staleness"
        self._stream = PageStream(client, f"{v1}/staleness")

    def notes(self, managed: Iterable[str]) -> list[str]:
        """One line per managed feature DevCycle marks stale, in key order; or one line saying
        the list could not be read."""
        keys = set(managed)
        try:
            entries: list[dict[str, Any]] = []
            for page in self._stream:
                check(self._call, answers.STALENESS, page, "a list of stale features")
                entries.extend(page)
        except FlagsyncError as error:
            return [f"DevCycle's stale features could not be read, so none are named: {error}"]
        finally:
            self._stream.close()
        found = {e["key"]: e for e in entries if e.get("stale") and e["key"] in keys}
        return [_note(key, found[key]) for key in sorted(found)]

    def close(self) -> None:
        self._stream.close()


def _note(key: str, entry: dict[str, Any]) -> str:
    said = [f"reason {entry['reason']}"] if entry.get("reason") else []
    if entry.get("updatedAt"):
        said.append(f"since {str(entry['updatedAt'])[:10]}")
    why = f" ({', '.join(said)})" if said else ""
    return (
        f"DevCycle marks feature '{key}' stale{why}; remove it from code "
        "(`flagsync refs`) and the manifests, or silence its staleness in DevCycle"
    )
