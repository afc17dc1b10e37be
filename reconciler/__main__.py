"""`python -m reconciler` runs the flagsync command."""

from reconciler.cli import main

main()
