"""The plan's impact (who a targeting change moves) as text and as a Markdown table."""

from __future__ import annotations

from reconciler.plan import Impact, Plan

HOW = {
    "arithmetic": "exact (the vendor's bucketing)",
    "sample": "over the sample users",
    "unknown": "unknown",
}


def _percent(value: float) -> str:
    return f"{value:g}%"


def describe(impact: Impact) -> str:
    """One line: how many users move, of whom, from what to what."""
    if impact.changed is None:
        return f"unknown: {impact.note}" if impact.note else "unknown"
    moves = ", ".join(f"{move} {_percent(share)}" for move, share in impact.moves.items())
    text = f"{_percent(impact.changed)} of {impact.population}"
    if moves:
        text += f" ({moves})"
    if impact.note:
        text += f"; {impact.note}"
    return text


def impact_text(plan: Plan) -> list[str]:
    if not plan.impact:
        return []
    lines = ["Who it moves (users whose variation changes):"]
    for impact in plan.impact:
        lines.append(
            f"  {impact.flag} [{impact.environment}]: {describe(impact)} - {HOW[impact.method]}"
        )
    return [*lines, ""]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def impact_markdown(plan: Plan) -> list[str]:
    if not plan.impact:
        return []
    lines = [
        "**Who it moves**",
        "",
        "| flag | environment | users whose variation changes | how |",
        "|---|---|---|---|",
    ]
    for impact in plan.impact:
        lines.append(
            f"| `{impact.flag}` | {impact.environment} | {_cell(describe(impact))} | "
            f"{HOW[impact.method]} |"
        )
    return [*lines, ""]
