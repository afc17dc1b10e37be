"""The plan as terminal text, Terraform-style: + create, ~ update, - delete."""

from __future__ import annotations

import click

from reconciler.plan import Change, Plan
from reconciler.render.impact import impact_text
from reconciler.render.values import (
    change_suffix,
    group_action,
    grouped,
    in_order,
    notes,
    pending_lines,
    show,
    summary,
)

MARKS = {"create": ("+", "green"), "update": ("~", "yellow"), "delete": ("-", "red")}


def render_text(plan: Plan) -> str:
    lines = [
        f"{plan.provider} project '{plan.project}', environments: {', '.join(plan.environments)}",
        "",
    ]
    for key, changes in grouped(plan):
        action = group_action(changes)
        mark, colour = MARKS[action]
        lines.append(click.style(f"{mark} {key}", fg=colour, bold=True) + f"  ({action})")
        for change in changes:
            lines.extend(_change_lines(change, change_suffix(change, plan)))
        lines.append("")
    requests = pending_lines(plan)
    if requests:
        lines.append("Open change requests:")
        lines.extend(f"  {line}" for line in requests)
        lines.append("")
    lines.extend(impact_text(plan))
    lines.append(click.style(summary(plan), bold=True))
    lines.extend(notes(plan))
    return "\n".join(lines) + "\n"


def _change_lines(change: Change, suffix: str) -> list[str]:
    indent = "    "
    lines = []
    if change.environment:
        mark, colour = MARKS[change.action]
        heading = click.style(f"{mark} [{change.environment}]", fg=colour)
        lines.append("  " + heading + (f"  {suffix}" if suffix else ""))
        indent = "      "
    elif suffix:
        lines.append(f"    {suffix}")
    for field in change.fields:
        if change.action == "create" or field.before is None:
            text = f"{field.path}: {show(field.parts, field.after)}"
        elif field.after is None:
            text = f"{field.path}: {show(field.parts, field.before)} -> (removed)"
        else:
            before = show(field.parts, in_order(field.parts, field.before, field.after))
            after = show(field.parts, field.after)
            text = f"{field.path}: {before} -> {after}"
        lines.append(indent + text)
    return lines
