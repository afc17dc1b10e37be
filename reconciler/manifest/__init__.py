"""Manifests: YAML files that declare flags, loaded with positions, validated, built into models.

The submodules each do one step: `source` (YAML with line numbers), `schema_check` (JSON Schema),
`rules` (semantic checks), `build` (plain data -> `reconciler.model`), and `loader` ties them
together for the commands.
"""
