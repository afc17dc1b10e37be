"""Renderers: a `Plan` as terminal text, Markdown (pull request comments) or JSON."""

from __future__ import annotations

from collections.abc import Callable

from reconciler.plan import Plan
from reconciler.render.json_output import render_json
from reconciler.render.markdown import render_markdown
from reconciler.render.text import render_text

RENDERERS: dict[str, Callable[[Plan], str]] = {
    "text": render_text,
    "markdown": render_markdown,
    "json": render_json,
}

__all__ = ["RENDERERS", "render_json", "render_markdown", "render_text"]
