"""A vendor's answer decodes to the value the standard library's JSON reader gives, whichever
reader does the work, and its nesting is measured as a JSON parser would count it: brackets
inside strings (escaped quotes and backslashes too) never count."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from reconciler.providers.bounds import loads, too_deep

_BRACKETY = st.text(alphabet='[]{}"\\ab:,', max_size=12)
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    _BRACKETY,
    st.text(max_size=8),
)
_documents = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(_BRACKETY, inner, max_size=4)
    ),
    max_leaves=40,
)


def _depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max((_depth(item) for item in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_depth(item) for item in value.values()), default=0)
    return 0


@given(_documents, st.integers(min_value=0, max_value=8))
def test_depth_is_counted_outside_strings_only(document: Any, limit: int) -> None:
    body = json.dumps(document).encode()
    assert too_deep(body, limit) == (_depth(document) > limit)


@given(_documents)
def test_answers_decode_to_the_standard_value(document: Any) -> None:
    body = json.dumps(document, ensure_ascii=False).encode()
    assert loads(body) == json.loads(body)


def test_what_only_the_standard_reader_reads_is_still_read() -> None:
    """NaN, integers beyond 64 bits, a byte-order mark and a lone surrogate: answers a
    vendor could send, read as they always were."""
    for body in (
        b'{"value": NaN, "big": 123456789012345678901234567890}',
        b'\xef\xbb\xbf{"a": [1, 2]}',
        b'{"s": "\\ud800"}',
        '{"a": "é"}'.encode("utf-16"),
    ):
        expected = json.loads(body)
        decoded = loads(body)
        assert json.dumps(decoded) == json.dumps(expected)
