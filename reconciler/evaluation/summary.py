"""`flagsync eval --users FILE --summary`: how many users get each variation of each flag.

Ten thousand users against a thousand flags is ten million answers; what a reader wants of
them is the distribution, not ten million lines. The summary asks the vendor's evaluator for
the variation only (`variations(keys, environment)`: a function of one user returning, per
flag, the variation key, or an `Inexact` when offline evaluation cannot know it), so no reason
is written and no answer object is made per user and flag. An evaluator without that entry is
asked for its full answers, of which the summary keeps the variation.

The counts of a chunk of users are made column by column (`Counter` of one flag's answers for
every user of the chunk, in C), so chunks evaluated in worker processes merge by addition.

An evaluator that answers one flag over every user at a time (`flag_major`, see
`evaluation.flag_major`) is asked that way instead (`by_flags`): the users are read once, in
order, and shared with the worker processes by the fork; each worker counts its share of the
flags, and the counts of a flag are whole, so they are put side by side, not added.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.evaluation import flag_major
from reconciler.evaluation.bulk import answerer
from reconciler.evaluation.parallel import CHUNK_ANSWERS, gather, worker_count
from reconciler.evaluation.result import Evaluation, Evaluator, UserContext


@dataclass(frozen=True)
class Inexact:
    """An answer offline evaluation cannot give for sure: the variation it would serve and why
    it is not certain (the same sentence for every user it applies to, so answers group by
    it)."""

    variation: str | None
    why: str


Variation = str | None | Inexact
Variations = Callable[[UserContext], list[Variation]]
Counts = list[Counter[Variation]]
"""Per flag (in the order of the keys), how many users got each answer."""


def variation_of(answer: Evaluation) -> Variation:
    """The summary's view of a full answer."""
    return answer.variation if answer.exact else Inexact(answer.variation, answer.reason)


def variations(evaluator: Evaluator, keys: list[str], environment: str) -> Variations:
    """The evaluator's variation-only function for `keys`, or its full answers' variations."""
    entry = getattr(evaluator, "variations", None)
    if entry is not None:
        found: Variations = entry(keys, environment)
        return found
    answer = answerer(evaluator, keys, environment)
    return lambda user: [variation_of(a) for a in answer(user)]


def count(answer: Variations, users: Iterable[UserContext], flags: int) -> Counts:
    """How many of `users` got each answer of each of the `flags` flags."""
    rows = [answer(user) for user in users]
    if not rows:
        return [Counter() for _ in range(flags)]
    return [Counter(column) for column in zip(*rows, strict=True)]


def merge(parts: Iterable[Counts], flags: int) -> Counts:
    total: Counts = [Counter() for _ in range(flags)]
    for part in parts:
        for into, counts in zip(total, part, strict=True):
            into.update(counts)
    return total


def counted(
    answer: Variations, users: Sequence[UserContext], flags: int, chunk: int
) -> Iterator[Counts]:
    """The counts of `users`, `chunk` at a time (what bounds the memory of one chunk's rows)."""
    for start in range(0, len(users), chunk):
        yield count(answer, users[start : start + chunk], flags)


def summarise(
    answer: Variations, users: Sequence[UserContext], flags: int, workers: int | None = None
) -> Counts:
    """The counts of every user's answers: in worker processes when that pays (`workers`
    overrides how many; 0: in-process), each counting a contiguous share of the users, so the
    first user the vendor refuses is the one a single process would stop at."""
    if workers is None:
        workers = worker_count(len(users) * flags, None)
    size = max(1, CHUNK_ANSWERS * 5 // max(flags, 1))

    def work(share: Sequence[UserContext]) -> Counts:
        return merge(counted(answer, share, flags, size), flags)

    if workers < 2 or len(users) < 2:
        return work(users)
    step = -(-len(users) // workers)
    shares = [users[start : start + step] for start in range(0, len(users), step)]
    return merge(gather(work, shares, workers), flags)


FLAG_CHUNKS = 8
"""Shares of the flags per worker, dealt round-robin: flags differ in cost, so several small
shares each even out the workers' time."""


def by_flags(
    evaluator: Evaluator,
    keys: list[str],
    environment: str,
    users: Sequence[UserContext],
    workers: int | None = None,
) -> Counts | None:
    """The counts of every user's answers, one flag over every user at a time, when the
    evaluator can (None otherwise): the flags shared among worker processes when that pays
    (`workers` as in `summarise`)."""
    entry = getattr(evaluator, "flag_major", None)
    if entry is None or not users:
        return None
    parts: flag_major.FlagParts = entry(keys, environment, users)

    def work(flags: Sequence[int]) -> Counts:
        return [flag_major.tally(parts(index)) for index in flags]

    if workers is None:
        workers = worker_count(len(users) * len(keys), None)
    if workers < 2 or len(keys) < 2:
        return work(range(len(keys)))
    shares = min(len(keys), workers * FLAG_CHUNKS)
    step = -(-len(keys) // shares)
    chunks = [range(start, min(start + step, len(keys))) for start in range(0, len(keys), step)]
    return [counts for part in gather(work, list(chunks), workers) for counts in part]


def report(keys: list[str], environment: str, users: int, counts: Counts) -> dict[str, Any]:
    """The summary as data (what `-o json` prints): per flag, the exact answers by variation,
    most users first, and the inexact ones grouped by why."""
    flags = []
    for key, tally in zip(keys, counts, strict=True):
        exact = [(v, n) for v, n in tally.items() if not isinstance(v, Inexact)]
        exact.sort(key=lambda item: (-item[1], "" if item[0] is None else item[0]))
        why: Counter[str] = Counter()
        for v, n in tally.items():
            if isinstance(v, Inexact):
                why[v.why] += n
        flags.append(
            {
                "flag": key,
                "environment": environment,
                "variations": [
                    {"variation": v, "users": n, "percent": _percent(n, users)} for v, n in exact
                ],
                "inexact": sum(why.values()),
                "inexact_why": [
                    {"why": w, "users": n, "percent": _percent(n, users)}
                    for w, n in sorted(why.items(), key=lambda item: (-item[1], item[0]))
                ],
            }
        )
    return {"environment": environment, "users": users, "flags": flags}


def _percent(part: int, whole: int) -> float:
    return round(100 * part / whole, 2) if whole else 0.0


def render_json(summary: dict[str, Any]) -> str:
    return json.dumps(summary, indent=2, ensure_ascii=False) + "\n"


def render_text(summary: dict[str, Any]) -> str:
    users = summary["users"]
    lines = [f"{users} user{'s' if users != 1 else ''} in {summary['environment']}"]
    for flag in summary["flags"]:
        lines.append(f"{flag['flag']}")
        rows = [
            (
                "(nothing served)" if v["variation"] is None else v["variation"],
                v["users"],
                v["percent"],
            )
            for v in flag["variations"]
        ]
        if flag["inexact"]:
            rows.append(("(inexact)", flag["inexact"], _percent(flag["inexact"], users)))
        width = max((len(name) for name, _, _ in rows), default=0)
        for name, number, percent in rows:
            lines.append(f"  {name:<{width}}  {number:>8}  {percent:6.2f} %")
        for why in flag["inexact_why"]:
            lines.append(f"    inexact for {why['users']}: {why['why']}")
    return "".join(f"{line}\n" for line in lines)
