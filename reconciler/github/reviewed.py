"""Apply only what was reviewed: the plan computed after the merge must be the plan the pull
request's comment showed.

Between the review and the merge, someone may change a flag in the dashboard, or another pull
request may be applied first; the manifests then mean something other than what the reviewers
approved. The plan's fingerprint (a hash of the live state it read and of its API calls) is
recorded in the comment; after the merge the action plans again and applies only if the
fingerprints are equal, as dflook's terraform-apply does with its plan comment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reconciler.github.api import GitHubApi
from reconciler.github.comment import Identity, find_sticky
from reconciler.github.errors import ActionError
from reconciler.github.markers import read_fingerprint, sticky_marker
from reconciler.github.planfile import PlanReport, counts_line

RECOVER = (
    "Nothing was applied. To apply the current plan, open a pull request (an empty commit will "
    "do) so reviewers see it, and merge that; or re-run with `require-reviewed: false` if you "
    "accept it unreviewed."
)


class NotReviewed(ActionError):
    """The plan about to be applied is not the one a pull request showed."""


@dataclass(frozen=True)
class Reviewed:
    pull_request: int
    fingerprint: str
    comment_url: str


def merged_pull_request(api: GitHubApi, repository: str, sha: str) -> dict[str, Any] | None:
    """The pull request whose merge produced `sha` (else any merged one containing it)."""
    pulls = api.get(f"/repos/{repository}/commits/{sha}/pulls")
    if not isinstance(pulls, list):
        return None
    merged = [p for p in pulls if isinstance(p, dict) and p.get("merged_at")]
    for pull in merged:
        if pull.get("merge_commit_sha") == sha:
            return pull
    return merged[0] if merged else None


def check_reviewed(
    api: GitHubApi,
    repository: str,
    sha: str,
    workspace: str,
    report: PlanReport,
    identity: Identity,
) -> Reviewed:
    """Return the review that approved this plan, or raise `NotReviewed` saying why not."""
    now = (
        f"the plan computed now ({counts_line(report.counts)}; "
        f"fingerprint {report.fingerprint[:12]})"
    )
    pull = merged_pull_request(api, repository, sha)
    if pull is None:
        raise NotReviewed(
            f"commit {sha[:7]} is not the merge of a pull request, so {now} was never "
            f"reviewed. {RECOVER}"
        )
    number = int(pull["number"])
    comment = find_sticky(api, repository, number, sticky_marker(workspace), identity)
    if comment is None:
        raise NotReviewed(
            f"pull request #{number} has no flagsync plan comment for `{workspace}` (was the "
            f"action's `comment` input false, or did its plan job not run?), so {now} was never "
            f"reviewed. {RECOVER}"
        )
    recorded = read_fingerprint(comment.body)
    if recorded is None:
        raise NotReviewed(
            f"the last plan in pull request #{number} for `{workspace}` failed, so {now} was "
            f"never reviewed ({comment.url}). {RECOVER}"
        )
    if recorded != report.fingerprint:
        raise NotReviewed(
            f"{now} differs from the plan reviewed in pull request #{number} (fingerprint "
            f"{recorded[:12]}, {comment.url}): the live state or the manifests changed after "
            f"the review (a dashboard edit, another merge). {RECOVER}"
        )
    return Reviewed(pull_request=number, fingerprint=recorded, comment_url=comment.url)
