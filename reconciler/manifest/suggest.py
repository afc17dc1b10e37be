"""'Did you mean' hints for misspelled names."""

from __future__ import annotations

import difflib


def did_you_mean(word: str, options: list[str]) -> str:
    """` (did you mean 'x'?)` for the closest option, or an empty string when none is close."""
    match = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return f" (did you mean '{match[0]}'?)" if match else ""
