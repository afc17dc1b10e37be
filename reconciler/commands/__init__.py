"""The `flagsync` commands, one module each, named after the command (`flagsync plan` is
`commands/plan.py`, `flagsync import` is `commands/import_.py`). `reconciler.cli` is the
command group that registers them; options several commands share are in `commands/options.py`.
A command module parses options and prints; the work is done by the modules it calls
(`reconcile`, `apply`, `manifest`, `promote`, `refs`, `evaluation`)."""
