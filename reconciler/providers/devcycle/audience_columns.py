"""Audiences over every user at once: a compiled audience predicate's answer for each user of a
table, as a column, for the flag-major summary (`flag_major`).

A predicate the compiler makes (`segmentation.Compiler`) carries a `column` function beside
itself: a filter on a field computes its check once per distinct value of that field among
the users (ten thousand users have eight countries and a few plans), `and` / `or` combine their
members' columns, and an audience the compiler shares among flags keeps its column in the
table. A predicate without one is called user by user. The answers are the predicate's own:
its checks are pure functions of the value they read, so reading them once per distinct value,
or for users a short-circuit would have skipped, changes nothing (a check that raises makes
the summary fall back to its user-by-user count, which raises only where the SDK would).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any

Column = list[bool]
CACHE_CELLS = 20_000_000
"""At most this many users x shared audiences kept (a few hundred MB): beyond, the kept
columns are dropped and made again when asked (a file of a million users)."""
ColumnOf = Callable[["UserTable"], Column]


class UserTable:
    """The users of one summary, with the field values and shared audience columns read so
    far."""

    def __init__(self, users: Sequence[Any]) -> None:
        self.users = users
        self._values: dict[Hashable, list[Any]] = {}
        self._shared: dict[Callable[[Any], bool], Column] = {}
        self._keyed: dict[Hashable, list[Any] | None] = {}

    def values(self, name: Hashable, read: Callable[[Any], Any]) -> list[Any]:
        """`read(user)` for every user, once per `name`."""
        found = self._values.get(name)
        if found is None:
            found = self._values[name] = [read(user) for user in self.users]
        return found

    def keys(self, name: Hashable, read: Callable[[Any], Any]) -> list[Any] | None:
        """`values(name, read)` keyed by type and value, or None when one cannot be keyed."""
        if name not in self._keyed:
            values = self.values(name, read)
            keys: list[Any] | None = list(zip(map(type, values), values, strict=True))
            try:
                set(keys or ())
            except TypeError:  # an unhashable value (a list in custom data)
                keys = None
            self._keyed[name] = keys
        return self._keyed[name]

    def column(self, predicate: Callable[[Any], bool]) -> Column:
        """The predicate's answer for every user."""
        found = self._shared.get(predicate)
        if found is not None:
            return found
        made: ColumnOf | None = getattr(predicate, "column", None)
        found = [bool(predicate(user)) for user in self.users] if made is None else made(self)
        if getattr(predicate, "shared", False):
            if (len(self._shared) + 1) * len(self.users) > CACHE_CELLS:
                self._shared.clear()
            self._shared[predicate] = found
        return found


def attach(predicate: Callable[[Any], bool], column: ColumnOf, shared: bool = False) -> None:
    """Give `predicate` its column function (`shared`: the table keeps its column)."""
    predicate.column = column  # type: ignore[attr-defined]
    if shared:
        predicate.shared = True  # type: ignore[attr-defined]


def by_value(check: Callable[[Any], bool], values: list[Any]) -> Column:
    """`check(value)` for each of `values` (text or None), computed once per distinct value."""
    answers = {value: bool(check(value)) for value in set(values)}
    return list(map(answers.__getitem__, values))


def by_typed_value(
    check: Callable[[Any], bool], keys: list[Any] | None, values: list[Any]
) -> Column:
    """`check(value)` for each of `values` (any JSON), computed once per distinct key of
    `UserTable.keys` (type and value: 1, 1.0 and True are told apart); one by one when some
    value cannot be keyed (None)."""
    if keys is None:
        return [bool(check(value)) for value in values]
    answers = {key: bool(check(key[1])) for key in set(keys)}
    return list(map(answers.__getitem__, keys))


def all_of(members: Sequence[Callable[[Any], bool]]) -> ColumnOf:
    def column(table: UserTable) -> Column:
        found = table.column(members[0])
        for member in members[1:]:
            found = [a and b for a, b in zip(found, table.column(member), strict=True)]
        return found

    return column


def any_of(members: Sequence[Callable[[Any], bool]]) -> ColumnOf:
    def column(table: UserTable) -> Column:
        found = table.column(members[0])
        for member in members[1:]:
            found = [a or b for a, b in zip(found, table.column(member), strict=True)]
        return found

    return column


def constant(answer: bool) -> ColumnOf:
    return lambda table: [answer] * len(table.users)
