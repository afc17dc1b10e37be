"""`flagsync import` writes files meant for Git: their `$schema` modeline is a relative path that
resolves inside the repository, never a machine-local absolute path."""

from __future__ import annotations

import re
import shutil

import pytest

from tests.e2e.conftest import Cli


@pytest.mark.slow
def test_imported_files_refer_to_the_schema_relatively(example: Cli) -> None:
    assert example("apply", "--yes").returncode == 0
    shutil.rmtree(example.cwd / "flags")
    (example.cwd / "flags").mkdir()
    imported = example("import")
    assert imported.returncode == 0, imported.stdout + imported.stderr
    manifest = example.cwd / "flags" / "new-checkout.yaml"
    found = re.match(r"# yaml-language-server: \$schema=(\S+)\n", manifest.read_text())
    assert found is not None
    reference = found.group(1)
    assert not reference.startswith("/"), reference
    assert reference == "../schemas/manifest.schema.json"
    assert (manifest.parent / reference).resolve().is_file()
