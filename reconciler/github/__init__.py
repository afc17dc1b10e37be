"""The GitHub Action's logic: plan comments, job summaries, outputs, the reviewed-plan check.

`action.yml` (at the repository root) is a thin composite action; every decision it makes is
here, in Python, so it can be tested against a fake GitHub API. This package imports nothing else
from `reconciler`: the action runs it from its own checkout next to whichever flagsync version the
workflow installs, and the only contract between the two is the `flagsync` command and its JSON
plan (`format_version`).
"""
