"""Generic modules name no vendor in code, read with `ast` (nothing is imported).

A generic module is any module of `reconciler` outside a vendor's home (its provider package,
the emulators). In one, no identifier (a name, an attribute, a function, class or argument
name, a keyword argument, an imported name or module) and no string other than a docstring
may contain a vendor's name. Docstrings and comments may use a vendor as an example; code may
not branch on one, default to one, or spell one's settings, URLs or environment variables.

The one registration place, the `VENDORS` table of `reconciler/providers/registry.py`, is
allowed; everything else found is held in an allow-list that only shrinks (an entry no longer
found fails the test, like the import graph's lists).

`python -m tests.test_vendor_names` prints what is found.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from tests.test_import_graph import VENDOR_HOMES, _modules

VENDOR_NAME = re.compile(r"posthog|devcycle", re.IGNORECASE)
REGISTRY = "reconciler.providers.registry"
REGISTRY_TABLE = "VENDORS"

# (module, what) found today: allowed, never to grow.
ALLOWED: set[tuple[str, str]] = set()


def _home(module: str) -> bool:
    return any(module == h or module.startswith(h + ".") for h in VENDOR_HOMES)


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the string constants that are docstrings: a module's, class's or function's
    first statement, and a string standing alone as a statement (an attribute's docstring)."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            found.add(id(node.value))
    return found


def _registry_table(tree: ast.Module) -> set[int]:
    """ids of the nodes inside the registry's `VENDORS = {...}` assignment."""
    for statement in tree.body:
        targets = (
            [statement.target]
            if isinstance(statement, ast.AnnAssign)
            else statement.targets
            if isinstance(statement, ast.Assign)
            else []
        )
        if any(isinstance(t, ast.Name) and t.id == REGISTRY_TABLE for t in targets):
            return {id(node) for node in ast.walk(statement)}
    return set()


def _names(node: ast.AST) -> Iterator[tuple[str, str]]:
    """(kind, text) of what a node names or spells."""
    if isinstance(node, ast.Name):
        yield "name", node.id
    elif isinstance(node, ast.Attribute):
        yield "attribute", node.attr
    elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        yield "definition", node.name
    elif isinstance(node, ast.arg):
        yield "argument", node.arg
    elif isinstance(node, ast.keyword) and node.arg:
        yield "keyword", node.arg
    elif isinstance(node, ast.alias):
        yield "import", node.name
        if node.asname:
            yield "import as", node.asname
    elif isinstance(node, ast.ImportFrom) and node.module:
        yield "import from", node.module
    elif isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield "string", node.value


def names_in(source: str, registry: bool = False) -> set[str]:
    """ "kind text" of each vendor name in a module's code (`registry`: less its table)."""
    tree = ast.parse(source)
    skip = _docstrings(tree) | (_registry_table(tree) if registry else set())
    return {
        f"{kind} {text[:40]!r}"  # a long string by its start
        for node in ast.walk(tree)
        if id(node) not in skip
        for kind, text in _names(node)
        if VENDOR_NAME.search(text)
    }


def vendor_names() -> set[tuple[str, str]]:
    """(module, "kind text") of each vendor name in a generic module's code."""
    return {
        (module, what)
        for module, path in _modules().items()
        if not _home(module)
        for what in names_in(path.read_text(encoding="utf-8"), registry=module == REGISTRY)
    }


def test_the_check_reads_code_and_leaves_docstrings() -> None:
    source = '''
"""Talks to PostHog, for example."""
from reconciler.providers.devcycle import client
import reconciler.providers.posthog as vendor
API_URL = "https://us.posthog.com"
class DevCycleThing:
    """A DevCycle example."""
    def run(self, posthog_key: str) -> None:
        "Also DevCycle's."
        call(devcycle=1)
        self.devcycle_url = f"{API_URL}/devcycle"
VENDORS = {"posthog": "reconciler.providers.posthog"}
'''
    assert names_in(source, registry=True) == {
        "import from 'reconciler.providers.devcycle'",
        "import 'reconciler.providers.posthog'",
        "string 'https://us.posthog.com'",
        "definition 'DevCycleThing'",
        "argument 'posthog_key'",
        "keyword 'devcycle'",
        "attribute 'devcycle_url'",
        "string '/devcycle'",
    }
    assert "string 'posthog'" in names_in(source)


def test_the_registry_table_is_the_one_place() -> None:
    tree = ast.parse((_modules()[REGISTRY]).read_text(encoding="utf-8"))
    table = [
        node
        for node in ast.walk(tree)
        if id(node) in _registry_table(tree)
        and isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and VENDOR_NAME.search(node.value)
    ]
    assert table, "the registry's VENDORS table names the vendors"


def test_no_new_vendor_name_in_a_generic_module() -> None:
    found = vendor_names()
    assert sorted(found - ALLOWED) == [], "a generic module names a vendor"
    assert sorted(ALLOWED - found) == [], "gone: remove from ALLOWED"


if __name__ == "__main__":
    for module, what in sorted(vendor_names()):
        print(f"{module}: {what}")
