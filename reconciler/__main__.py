"""`python -m reconciler` runs the flagsync command."""

from reconciler.cli import main

main(prog_name="flagsync")  # usage lines and shell completion name the installed command
