"""The layout holds: no import circles, small files, a services folder grouped by area, areas that meet only
through what they export (docs/architecture.md)."""

from __future__ import annotations

import sys
from pathlib import Path

import grimp
import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "finecrm"
AREAS = ("data", "customers", "marketing", "access", "credit", "collections", "aml", "workbench", "grid", "kpi",
         "service")
MAX_LINES = 600
#: services/ top level: the shared helpers; everything else lives in an area's package.
MAX_SERVICES_TOP_LEVEL = 6


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("finecrm")


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), counting imports inside functions too."""
    modules = sorted(graph.modules)
    edges = {m: sorted(set(graph.find_modules_directly_imported_by(m)) & set(modules)) for m in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10 * len(modules)))
    try:
        for m in modules:
            if m not in index:
                visit(m)
    finally:
        sys.setrecursionlimit(limit)
    return found


def test_no_import_circle(graph):
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_planted_circle(graph):
    graph.add_import(importer="finecrm.core.errors", imported="finecrm.core.settings", line_number=1,
                     line_contents="from finecrm.core.settings import Settings")
    try:
        cycles = _cycles(graph)
    finally:
        graph.remove_import(importer="finecrm.core.errors", imported="finecrm.core.settings")
    assert any({"finecrm.core.errors", "finecrm.core.settings"} <= set(c) for c in cycles)


def test_no_source_file_over_600_lines():
    long = {str(p.relative_to(SRC)): n for p in SRC.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_services_are_grouped_by_area():
    services = SRC / "services"
    top = sorted(p.name for p in services.glob("*.py") if p.name != "__init__.py")
    assert len(top) <= MAX_SERVICES_TOP_LEVEL, top
    packages = sorted(p.name for p in services.iterdir() if (p / "__init__.py").is_file())
    assert set(packages) - {"snapshot"} <= set(AREAS), packages


def test_areas_meet_only_through_what_they_export(graph):
    """A module of one area may import another area's package (its exports), never that area's modules."""

    def area(module: str) -> str | None:
        parts = module.split(".")
        return parts[2] if len(parts) >= 3 and parts[1] == "services" and parts[2] in AREAS else None

    reaching = []
    for importer in sorted(graph.modules):
        a = area(importer)
        if a is None:
            continue
        for imported in graph.find_modules_directly_imported_by(importer):
            b = area(imported)
            if b is not None and b != a and imported != f"finecrm.services.{b}":
                reaching.append(f"{importer} -> {imported}")
    assert reaching == []
