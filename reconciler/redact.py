"""One redaction for everything flagsync writes: credentials become `***`.

flagsync runs in CI with production credentials, and its text reaches logs, pull-request
comments, job summaries and files. A credential can get into that text by many roads: a
server's error body that echoes the request (an OAuth client secret), a URL with
`user:password@` in a retry line, a traceback. So redaction is not left to each message:
the command's stdout and stderr are wrapped (`install`), and every file flagsync writes goes
through `write_text`; both apply `redact`, whatever the source of the text.

What counts as a credential: the values of the environment variables providers declare
(`declare_variables`, read at each redaction, so a value set later counts too), every secret
obtained while running (`remember`: an OAuth access token), and the userinfo of any URL.
Each secret is also matched in the encodings an echo may use (URL-encoded, JSON-escaped).
"""

from __future__ import annotations

import json
import os
import re
import sys
import threading
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote, quote_plus

MASK = "***"
MIN_SECRET_LENGTH = 4
"""Shorter values are not masked: masking `ab` everywhere would garble every message, and no
vendor issues credentials that short."""

_variables: set[str] = set()
_remembered: set[str] = set()
_lock = threading.Lock()
_USERINFO = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*://)[^/\s?#@]+@")
"""`scheme://user:password@` (or `scheme://token@`): the userinfo of a URL."""


def declare_variables(*names: str) -> None:
    """Environment variables that hold credentials (a provider declares those it reads)."""
    with _lock:
        _variables.update(names)


def remember(*secrets: str | None) -> None:
    """Credentials obtained while running (tokens, keys a client was given)."""
    with _lock:
        _remembered.update(secret for secret in secrets if secret)


def known_secrets() -> list[str]:
    """Every credential value now known, longest first (so no part of one is left over)."""
    with _lock:
        values = {os.environ.get(name, "") for name in _variables} | set(_remembered)
    forms: set[str] = set()
    for value in values:
        if len(value) >= MIN_SECRET_LENGTH:
            forms.update((value, quote(value, safe=""), quote_plus(value), json.dumps(value)[1:-1]))
    return sorted(forms, key=len, reverse=True)


def redact(text: str) -> str:
    """`text` with every known credential and URL userinfo replaced by `***`."""
    for secret in known_secrets():
        if secret in text:
            text = text.replace(secret, MASK)
    if "@" in text:
        text = _USERINFO.sub(rf"\1{MASK}@", text)
    return text


def write_text(path: Path, text: str) -> None:
    """Write a file flagsync produces (a plan, an imported manifest), redacted."""
    path.write_text(redact(text), encoding="utf-8")


class RedactingStream:
    """A text stream that redacts each write before passing it on; everything else (isatty,
    encoding, buffer, flush) is the wrapped stream's."""

    def __init__(self, stream: TextIO) -> None:
        self.wrapped = stream

    def write(self, text: str) -> int:
        self.wrapped.write(redact(text))
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.wrapped, name)


def install() -> None:
    """Wrap `sys.stdout` and `sys.stderr` (once): all the command prints is redacted."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is not None and not isinstance(stream, RedactingStream):
            setattr(sys, name, RedactingStream(stream))


def uninstall() -> None:
    """Undo `install` (for a caller that runs commands in-process, like tests)."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if isinstance(stream, RedactingStream):
            setattr(sys, name, stream.wrapped)
