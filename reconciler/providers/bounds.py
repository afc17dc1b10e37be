"""Bounds on what a vendor's answer may be before flagsync reads it: size, JSON depth, kind.

A server (or a proxy in front of it) can answer with anything: a gigabyte, a gzip bomb, JSON
nested ten thousand deep, a login page with status 200. Each is turned into one `AnswerShapeError`
naming the call, before a byte of it is used, so no answer can exhaust memory, overflow the
stack of the readers that walk vendor objects, or pass for data.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import orjson

from reconciler.errors import AnswerShapeError

MAX_BODY_BYTES = 256 * 1024 * 1024
"""The largest answer read (after decompression): a page of 1,000 of the largest features is a
few megabytes, so this is far above any real answer and far below what hurts a CI runner."""
MAX_JSON_DEPTH = 128
"""The deepest nesting of arrays and objects accepted: vendor objects nest about a dozen
levels, an audience a few more per level of nesting; the readers recurse that deep."""

_NOT_BRACKETS = bytes(c for c in range(256) if c not in b'[]{}"')
_DIGITS = bytes(48 if c in b"0123456789" else 32 for c in range(256))
_LONG_NUMBER = b"0" * 19
"""Every digit a 0, everything else a space: 19 digits in a row may be an integer beyond 64 bits."""


class AnswerTooLarge(Exception):
    """The body of an answer exceeded `MAX_BODY_BYTES` while it was read."""


def read_bounded(response: httpx.Response, limit: int = MAX_BODY_BYTES) -> httpx.Response:
    """The answer with its body read (decompressed) up to `limit` bytes; a streamed response
    goes in, a complete one comes out. Raises `AnswerTooLarge` beyond the limit, having read
    no more than that (so a gzip bomb costs `limit` bytes, not its decompressed size)."""
    chunks: list[bytes] = []
    size = 0
    try:
        declared = response.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise AnswerTooLarge(f"announced {int(declared):,} bytes")
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > limit:
                raise AnswerTooLarge(f"more than {limit:,} bytes")
            chunks.append(chunk)
    finally:
        response.close()
    headers = [
        (name, value)
        for name, value in response.headers.multi_items()
        if name.lower() not in ("content-encoding", "content-length", "transfer-encoding")
    ]
    return httpx.Response(
        response.status_code,
        headers=headers,
        content=b"".join(chunks),
        request=response.request,
        extensions=response.extensions,
    )


def too_deep(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether the JSON text `body` nests arrays and objects deeper than `limit`.

    Works on bytes at C speed: escapes are dropped, then everything but brackets and quotes,
    then the text inside strings; the bracket skeleton left loses its innermost pairs once per
    level, so what remains after `limit` rounds is deeper than `limit`."""
    if b"\\" in body:  # a search at memchr speed: most answers have no escape to drop
        body = body.replace(b"\\\\", b"").replace(b'\\"', b"")
    skeleton = body.translate(None, _NOT_BRACKETS)
    if skeleton.count(b"[") + skeleton.count(b"{") <= limit:
        return False
    # Two adjacent quotes are an empty string or two strings run together: dropping them keeps
    # the text outside strings as it was, and leaves few quotes for the split (most strings
    # hold no bracket, and a page of 1,000 flags has about 100,000 quotes).
    skeleton = b"".join(skeleton.replace(b'""', b"").split(b'"')[::2])
    for _ in range(limit):
        if not skeleton:
            return False
        # One level a round: `{[]}` loses `[]` only (the `()` marks keep `{}` from forming).
        shorter = skeleton.replace(b"[]", b"()").replace(b"{}", b"").replace(b"()", b"")
        if shorter == skeleton:
            return False  # not well formed: the JSON decoder says so
        skeleton = shorter
    return bool(skeleton)


def decode(call: str, response: httpx.Response) -> Any:
    """The JSON of a successful answer, or an `AnswerShapeError` naming `call` that says what the
    answer was instead (an HTML page, not JSON, nested too deep). An empty body is None."""
    content = response.content
    if not content:
        return None
    kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind in ("text/html", "application/xhtml+xml") or content.lstrip()[:1] == b"<":
        raise AnswerShapeError(
            call,
            f"the API answered with a web page (HTTP {response.status_code}), not JSON: is "
            "the API URL right, or is a proxy or login page in the way?",
        )
    if too_deep(content):
        raise AnswerShapeError(call, f"the answer nests deeper than {MAX_JSON_DEPTH} levels")
    try:
        return loads(content)
    except (ValueError, RecursionError):
        raise AnswerShapeError(call, "the API answered with a body that is not JSON") from None


def decode_or_none(response: httpx.Response) -> Any:
    """The JSON of an answer, or None when it is not (safely) JSON: for error bodies, which
    only lend their words to a message."""
    content = response.content
    if not content or too_deep(content):
        return None
    try:
        return loads(content)
    except (ValueError, RecursionError):
        return None


def loads(content: bytes) -> Any:
    """`json.loads`, at orjson's speed for the answers orjson reads alike (a page of 1,000
    flags in half the time). What orjson refuses and the standard library reads (NaN, numbers
    beyond a double, a byte-order mark, UTF-16) and a body with 19 digits in a row (an integer
    orjson would turn into a float) are read by the standard library, so every answer decodes
    to the same value as before, and a body neither reads is not JSON."""
    if _LONG_NUMBER in content.translate(_DIGITS):
        return json.loads(content)  # orjson reads integers beyond 64 bits as floats
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        return json.loads(content)
