"""Requests run with CPython's cyclic garbage collector paused.

The emulator's heap holds every stored document: 10,000 features are millions of objects. A
page of 1,000 features allocates enough to trigger collections, and each full one walks that
whole heap again; in profiles of a 10,000-feature list, collections were half its time. What
a request allocates is acyclic (reference counting frees it), so the collector waits until the
request is answered. Requests run one at a time under the store's lock; a collection missed
during one runs after it.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
