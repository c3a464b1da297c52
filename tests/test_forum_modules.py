"""The forum crawl and demo modules stay small and apart (issue 23 item 1): each crawl is its own
module on the shared pieces, none imports another's private names, no import circle."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

LIBRARY = ROOT / "workflow" / "scripts" / "hfreuse"
FORUM = LIBRARY / "forum"
# the forum crawls (listing, topics, feed) on their shared pieces, and the demo generator
SMALL = [
    "crawl_common",
    "listing",
    "topics",
    "feed",
    "raw",
    "demo",
    "demo_plan",
    "demo_text",
    "demo_topics",
]
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 60


def module_name(path: Path) -> str:
    parts = path.relative_to(LIBRARY.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> list[tuple[str, str | None, int]]:
    """``(module, name or None, line)`` of every import of a module of this library."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module_name(path).rsplit(".", 1)[0]
    out: list[tuple[str, str | None, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, None, node.lineno) for a in node.names if a.name.startswith("hfreuse")]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module.split(".")[0] == "hfreuse":
                out += [(module, a.name, node.lineno) for a in node.names]
    return out


def function_lengths(path: Path) -> dict[str, int]:
    tree = ast.parse(path.read_text(), filename=str(path))
    lengths = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            lengths[f"{node.name} (line {node.lineno})"] = node.end_lineno - start + 1
    return lengths


def test_the_forum_crawl_and_demo_modules_stay_small():
    assert not (FORUM / "crawl.py").exists()  # split into listing.py and topics.py
    too_long = {}
    for name in SMALL:
        path = FORUM / f"{name}.py"
        lines = len(path.read_text().splitlines())
        if lines > MAX_MODULE_LINES:
            too_long[path.name] = lines
        for function, length in function_lengths(path).items():
            if length > MAX_FUNCTION_LINES:
                too_long[f"{path.name}: {function}"] = length
    assert too_long == {}


def test_no_forum_module_imports_another_modules_private_names():
    offenders = []
    for path in sorted(FORUM.glob("*.py")):
        modules = set()
        for module, name, line in imports(path):
            if name is not None and name.startswith("_") and not name.startswith("__"):
                offenders.append(f"{path.name}:{line}: {name} from {module}")
            modules.add(name if name else module.rsplit(".", 1)[-1])
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):  # raw._x: a private name reached through its module
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in modules
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
            ):
                offenders.append(f"{path.name}:{node.lineno}: {node.value.id}.{node.attr}")
    assert offenders == []


def test_the_forum_modules_import_no_circle():
    graph: dict[str, set[str]] = {}
    for path in sorted(LIBRARY.rglob("*.py")):
        known = set()
        for module, name, _ in imports(path):
            # "from . import raw" imports the module hfreuse.forum.raw
            sub = f"{module}.{name}"
            known.add(
                sub
                if name and (LIBRARY.parent / f"{sub.replace('.', '/')}.py").exists()
                else module
            )
        graph[module_name(path)] = known

    def circle_from(start: str) -> list[str] | None:
        stack = [(start, [start])]
        seen = set()
        while stack:
            node, trail = stack.pop()
            for nxt in sorted(graph.get(node, ())):
                if nxt == start:
                    return [*trail, nxt]
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, [*trail, nxt]))
        return None

    circles = [c for m in sorted(graph) if m.startswith("hfreuse.forum.") if (c := circle_from(m))]
    assert circles == []
