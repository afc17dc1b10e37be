"""The import graph of `reconciler/`, read with `ast` (nothing is imported): no new package
cycle, and no new import of a vendor's package from a generic module.

A *unit* is a top-level module or subpackage of `reconciler` (`reconciler.workspace`,
`reconciler.manifest`, ...), except that each vendor's provider package
(`reconciler.providers.devcycle`, `reconciler.providers.posthog`) is a unit of its own, apart from
the generic `reconciler.providers`. Every import counts, also one inside a function or under
`TYPE_CHECKING`.

Both checks hold today's offenders in an allow-list (issue 19 measured them; the redesign
removes them). A new offender fails the test; so does an allow-listed one that is gone, so
the lists only shrink. Measured:

- when the lists were written: 12 unit edges on package cycles, in two cycles of units:
  {manifest, providers, providers.devcycle, providers.posthog, workspace} and {cli, fmt_command};
  5 imports of a vendor package from a generic module;
- after `format_time` moved from `providers.devcycle.translate` to `model`: 8 unit edges on
  cycles ({manifest, providers, providers.posthog, workspace} and {cli, fmt_command}), 4 vendor
  imports.
- after providers declared their capabilities and `providers/registry.py` named the vendors
  (the generic `providers` imports nothing from the workspace, which reads the declarations):
  6 unit edges on cycles ({manifest, providers.posthog, workspace} and {cli, fmt_command}),
  1 vendor import;
- after each vendor's manifest rules moved into its package (`manifest_rules.py`, found through
  the registry): 4 unit edges on cycles ({manifest, workspace} and {cli, fmt_command}), no
  vendor import;
- after `reports_errors` moved to `exits` (cli <-> fmt_command), manifest loading took a
  `DeclaredManifests` protocol (manifest -> workspace) and `FORMAT_VERSION` moved to `plan`
  (reconcile no longer imports `render`): no unit edge on a cycle, no vendor import.

`python -m tests.test_import_graph` prints the report.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "reconciler"
VENDOR_PACKAGES = ("reconciler.providers.devcycle", "reconciler.providers.posthog")
# Modules that may name a vendor's package: the vendors' own packages and the emulators.
VENDOR_HOMES = (*VENDOR_PACKAGES, "reconciler.emulator")

# Unit edges on a package cycle today, (importer, imported): allowed, never to grow.
ALLOWED_CYCLE_EDGES: set[tuple[str, str]] = set()
# (Empty: manifest -> workspace left when manifest loading, import and metadata took a
# `DeclaredManifests` protocol; cli <-> fmt_command when `reports_errors` moved to `exits`;
# manifest -> providers.posthog when each vendor's manifest rules moved into its package.)

# Imports of a vendor package from a generic module today, (importer, imported): allowed,
# never to grow.
ALLOWED_VENDOR_IMPORTS: set[tuple[str, str]] = set()


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def import_graph() -> dict[str, set[str]]:
    """Each module of `reconciler` and the `reconciler` modules it imports."""
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(a.name for a in node.names if a.name.split(".")[0] == "reconciler")
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package[: len(package) - (node.level - 1)]
                    source = ".".join([*base, *([node.module] if node.module else [])])
                else:
                    source = node.module or ""
                if source.split(".")[0] != "reconciler":
                    continue
                for alias in node.names:
                    submodule = f"{source}.{alias.name}"
                    found.add(submodule if submodule in modules else source)
        graph[name] = found
    return graph


def unit(module: str) -> str:
    for vendor in VENDOR_PACKAGES:
        if module == vendor or module.startswith(vendor + "."):
            return vendor
    return ".".join(module.split(".")[:2])


def unit_edges(graph: dict[str, set[str]]) -> set[tuple[str, str]]:
    return {
        (unit(a), unit(b))
        for a, imported in graph.items()
        for b in imported
        if unit(a) != unit(b) and b != "reconciler"
    }


def cycle_edges(edges: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """The edges inside a strongly connected component: those on some cycle."""
    reach: dict[str, set[str]] = defaultdict(set)
    for a, b in edges:
        reach[a].add(b)
    changed = True
    while changed:  # transitive closure; a few dozen units
        changed = False
        for a in list(reach):
            more = set().union(*(reach[b] for b in reach[a] if b in reach)) - reach[a]
            if more:
                reach[a] |= more
                changed = True
    return {(a, b) for a, b in edges if a in reach.get(b, set())}


def vendor_imports(graph: dict[str, set[str]]) -> set[tuple[str, str]]:
    def home(module: str) -> bool:
        return any(module == h or module.startswith(h + ".") for h in VENDOR_HOMES)

    return {
        (a, b)
        for a, imported in graph.items()
        if not home(a)
        for b in imported
        if unit(b) in VENDOR_PACKAGES
    }


def test_the_graph_is_read() -> None:
    graph = import_graph()
    assert "reconciler.plan" in graph["reconciler.apply"]
    assert len(graph) > 100


def test_no_new_package_cycle() -> None:
    on_cycles = cycle_edges(unit_edges(import_graph()))
    assert sorted(on_cycles - ALLOWED_CYCLE_EDGES) == [], "a new package cycle"
    assert sorted(ALLOWED_CYCLE_EDGES - on_cycles) == [], (
        "no longer on a cycle: remove from ALLOWED_CYCLE_EDGES"
    )


def test_no_new_vendor_import_in_a_generic_module() -> None:
    found = vendor_imports(import_graph())
    assert sorted(found - ALLOWED_VENDOR_IMPORTS) == [], "a generic module imports a vendor"
    assert sorted(ALLOWED_VENDOR_IMPORTS - found) == [], "gone: remove from ALLOWED_VENDOR_IMPORTS"


if __name__ == "__main__":
    graph = import_graph()
    on_cycles = cycle_edges(unit_edges(graph))
    print(f"{len(on_cycles)} unit edges on package cycles:")
    for a, b in sorted(on_cycles):
        via = sorted(f"{m} -> {i}" for m in graph if unit(m) == a for i in graph[m] if unit(i) == b)
        print(f"  {a} -> {b}   ({'; '.join(via)})")
    vendor = vendor_imports(graph)
    print(f"{len(vendor)} vendor imports in generic modules:")
    for a, b in sorted(vendor):
        print(f"  {a} -> {b}")
