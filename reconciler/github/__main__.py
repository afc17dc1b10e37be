"""`python -m reconciler.github SUBCOMMAND`: what the composite action's steps call."""

from reconciler.github.cli import main

raise SystemExit(main())
