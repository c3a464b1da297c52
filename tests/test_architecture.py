"""House rules that keep the workflow honest: one network module, thin scripts, named outputs."""

from __future__ import annotations

import ast
import re

from conftest import ROOT

SCRIPTS = ROOT / "workflow" / "scripts"
RULES = ROOT / "workflow" / "rules"
RULE_START = re.compile(r"^\s*rule(?: (\w+))?:\n", flags=re.M)


def rule_blocks():
    """(file, rule name or None for a rule defined in a loop, its text) of every rule."""
    for smk in sorted(RULES.rglob("*.smk")):
        text = smk.read_text()
        starts = list(RULE_START.finditer(text))
        for m, nxt in zip(starts, [*starts[1:], None], strict=False):
            yield smk, m.group(1), text[m.end() : nxt.start() if nxt else len(text)]


NETWORK_LIBS = {"requests", "huggingface_hub", "httpx", "urllib3", "aiohttp"}


def _imports(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module.split(".")[0]
        elif isinstance(node, ast.Call) and getattr(node.func, "id", "") == "__import__":
            yield "__import__"


def test_only_the_client_module_touches_the_network():
    offenders = []
    for path in sorted(SCRIPTS.rglob("*.py")):
        if path == SCRIPTS / "hfreuse" / "clients.py":
            continue
        bad = NETWORK_LIBS & set(_imports(path))
        if bad:
            offenders.append(f"{path.relative_to(ROOT)}: {sorted(bad)}")
    assert not offenders, "network libraries imported outside hfreuse/clients.py: " + "; ".join(
        offenders
    )


def test_entry_scripts_are_thin_and_guarded():
    rules_text = "\n".join(p.read_text() for p in RULES.rglob("*.smk"))
    for path in sorted(SCRIPTS.glob("*.py")):
        text = path.read_text()
        assert 'if __name__ == "__main__":' in text, f"{path.name}: no __main__ guard"
        head = text.split('if __name__ == "__main__":')[0]
        assert "snakemake." not in head, f"{path.name}: touches snakemake outside the guard"
        assert "def main(" in head, f"{path.name}: no main()"
        assert len(text.splitlines()) <= 100, f"{path.name}: entry scripts stay thin"
        assert f"scripts/{path.name}" in rules_text, f"{path.name}: no rule runs it"


def test_every_rule_has_a_log_and_a_docstring():
    blocks = list(rule_blocks())
    assert len(blocks) > 20
    for smk, name, block in blocks:
        where = f"{smk.relative_to(ROOT)}: rule {name or '(in a loop)'}"
        assert "log:" in block, f"{where} has no log"
        assert block.lstrip().startswith('"""'), f"{where} has no docstring"


def test_stage_files_never_ask_which_source_runs():
    """A source is a file: only workflow/rules/sources/ may read config["source"]."""
    pattern = re.compile(r"""config\s*(\[\s*["']source["']\s*\]|\.get\(\s*["']source["'])""")
    offenders = [
        str(smk.relative_to(ROOT))
        for smk in sorted(RULES.rglob("*.smk"))
        if "sources" not in smk.parts and pattern.search(smk.read_text())
    ]
    assert offenders == []
    assert sorted(p.stem for p in (RULES / "sources").glob("*.smk")) == ["demo", "live", "paper"]
    assert pattern.search('x = config["source"]') and pattern.search("config.get('source')")


def test_rule_files_stay_small():
    sizes = {smk.name: len(smk.read_text().splitlines()) for smk in RULES.rglob("*.smk")}
    assert sizes.pop("common.smk") <= 150
    assert max(sizes.values()) <= 200, sizes
    assert len((ROOT / "Snakefile").read_text().splitlines()) <= 60


def test_library_never_imports_the_snakemake_glue():
    """hfreuse.runtime glues a rule to a script's main(): only entry scripts import it."""
    offenders = []
    for path in sorted((SCRIPTS / "hfreuse").rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").endswith("runtime"):
                offenders.append(str(path.relative_to(ROOT)))
            if isinstance(node, ast.Import) and any("snakemake" in a.name for a in node.names):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_test_modules_import_no_other_test_module():
    """Tests share through tests/support/ and conftest.py's fixtures, never through another
    test module (which would also run its tests' module-level code twice under new names);
    tests/support/ holds no test module."""
    tests = ROOT / "tests"
    modules = {p.stem for p in tests.glob("test_*.py")}
    found = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in sorted(tests.rglob("*.py"))
        for name in sorted(_imports(path))
        if name.split(".")[0] in modules
    ]
    assert found == []
    assert not list((tests / "support").glob("test_*.py"))
