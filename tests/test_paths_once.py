"""Every output path is declared once (issue 23, item 2).

The tables are declared in workflow/products.yaml (product -> table name -> path); every other
output (intermediate parts, figures, the report) in the one rule that writes it. Rules, the
figure registry and the report name a table by its name; the library and the entry scripts
receive their paths as arguments and hold no ``results/...`` literal.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections import Counter
from pathlib import Path

import yaml
from conftest import ROOT

SCRIPTS = ROOT / "workflow" / "scripts"
#: a path under results/ (a folder alone, "results/", is no path)
RESULTS_PATH = re.compile(r"\bresults/[\w{}<>*.\-/]+")
#: files that still hold results paths, with the reason: each entry is a debt to pay off
KNOWN = {
    # integrator-owned: its 18 table paths are to come in as arguments (rule summarize_study)
    "workflow/scripts/hfreuse/report/study_summary.py",
}


def docstrings(tree: ast.AST) -> set[int]:
    """ids of the string constants that stand alone as statements (docstrings, attribute
    docstrings): documentation, not code."""
    return {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }


def results_literals(source: str) -> list[tuple[int, str]]:
    """(line, path) of every results path in a string of the code (f-string parts included),
    docstrings and comments left out."""
    tree = ast.parse(source)
    docs = docstrings(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
            found += [(node.lineno, m) for m in RESULTS_PATH.findall(node.value)]
    return sorted(found)


def test_the_scan_finds_literals_and_f_strings_but_not_docstrings_or_comments():
    source = '''"""Reads results/hub/models.parquet (a docstring)."""
# results/forum/topics.parquet in a comment
def f(name):
    """results/stats/x.parquet"""
    a = "results/hub/models.parquet"
    b = f"results/figures/{name}.svg"
    return "results/", a, b
'''
    assert results_literals(source) == [
        (5, "results/hub/models.parquet"),
        (6, "results/figures/"),
    ]


def test_no_results_path_literal_in_the_library_or_entry_scripts():
    found = [
        f"{path.relative_to(ROOT)}:{line}: {literal}"
        for path in sorted(SCRIPTS.rglob("*.py"))
        if path.relative_to(ROOT).as_posix() not in KNOWN
        for line, literal in results_literals(path.read_text(encoding="utf-8"))
    ]
    assert found == [], "pass the path in as an argument (from the rule):\n" + "\n".join(found)


def smk_strings(path: Path) -> list[str]:
    """The one-line string literals of a Snakefile (docstrings and comments left out)."""
    tokens = tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
    return [
        t.string
        for t in tokens
        if t.type == tokenize.STRING and not t.string.lstrip("rbfRBF").startswith(('"""', "'''"))
    ]


def yaml_strings(value) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in yaml_strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in yaml_strings(v)]
    return [value] if isinstance(value, str) else []


def declarations() -> Counter:
    """Every results path the workflow names: in the rule files' code and the products and
    figure registries, with how often."""
    rule_files = [ROOT / "Snakefile", *sorted((ROOT / "workflow" / "rules").rglob("*.smk"))]
    strings = [s for f in rule_files for s in smk_strings(f)]
    for registry in ("products.yaml", "figures.yaml"):
        doc = yaml.safe_load((ROOT / "workflow" / registry).read_text(encoding="utf-8"))
        strings += yaml_strings(doc)
    return Counter(p.rstrip("\"'") for s in strings for p in RESULTS_PATH.findall(s))


def test_each_results_path_is_declared_once():
    paths = declarations()
    products = yaml.safe_load((ROOT / "workflow" / "products.yaml").read_text())
    tables = [p for entries in products.values() for p in entries.values()]
    assert len(tables) > 30 and len(set(tables)) == len(tables)
    assert all(paths[t] == 1 for t in tables)  # the products map, and nothing else, names them
    twice = {p: n for p, n in paths.items() if n > 1}
    assert twice == {}, f"declared more than once: {twice}"
    # the figure registry names tables, not paths
    figures = yaml.safe_load((ROOT / "workflow" / "figures.yaml").read_text())
    assert not [s for s in yaml_strings(figures) if RESULTS_PATH.search(s)]
    names = {n for entries in products.values() for n in entries}
    for fig in figures.values():
        assert set(fig["inputs"].values()) | set(fig.get("optional", {}).values()) <= names
