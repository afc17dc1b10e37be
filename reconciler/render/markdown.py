"""The plan as Markdown, for a pull request comment or a job summary."""

from __future__ import annotations

from reconciler.plan import Change, Plan
from reconciler.render.impact import impact_markdown
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

ICONS = {"create": "+", "update": "~", "delete": "-"}


def render_markdown(plan: Plan) -> str:
    lines = [
        f"### flagsync plan: {plan.provider} project `{plan.project}`",
        "",
        f"**{summary(plan)}**",
        "",
    ]
    for key, changes in grouped(plan):
        action = group_action(changes)
        lines.append(f"#### `{ICONS[action]} {key}` ({action})")
        lines.append("")
        lines.append("| where | field | before | after |")
        lines.append("|---|---|---|---|")
        for change in changes:
            lines.extend(_rows(change, change_suffix(change, plan)))
        lines.append("")
    lines.extend(impact_markdown(plan))
    requests = pending_lines(plan)
    if requests:
        lines.extend(["**Open change requests**", ""])
        lines.extend(f"- {_cell(line)}" for line in requests)
        lines.append("")
    lines.extend(f"_{note}_\n" for note in notes(plan))
    return "\n".join(lines)


def _rows(change: Change, suffix: str) -> list[str]:
    where = (change.environment or "flag") + (f" {suffix}" if suffix else "")
    if change.action == "delete":
        return [f"| {where} | | | (deleted) |"]
    rows = []
    for field in change.fields:
        shown = in_order(field.parts, field.before, field.after)
        before = "" if field.before is None else _cell(show(field.parts, shown))
        after = "(removed)" if field.after is None else _cell(show(field.parts, field.after))
        rows.append(f"| {where} | `{field.path}` | {before} | {after} |")
    return rows


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
