"""House rules that keep the workflow honest: one network module, thin scripts, named outputs."""

from __future__ import annotations

import ast
import re

from conftest import ROOT

SCRIPTS = ROOT / "workflow" / "scripts"
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
    rules_text = "\n".join(p.read_text() for p in (ROOT / "workflow" / "rules").glob("*.smk"))
    for path in sorted(SCRIPTS.glob("*.py")):
        text = path.read_text()
        assert 'if __name__ == "__main__":' in text, f"{path.name}: no __main__ guard"
        head = text.split('if __name__ == "__main__":')[0]
        assert "snakemake." not in head, f"{path.name}: touches snakemake outside the guard"
        assert "def main(" in head, f"{path.name}: no main()"
        assert len(text.splitlines()) <= 100, f"{path.name}: entry scripts stay thin"
        assert f"scripts/{path.name}" in rules_text, f"{path.name}: no rule runs it"


def test_every_rule_has_a_log():
    for smk in sorted((ROOT / "workflow" / "rules").glob("*.smk")):
        text = smk.read_text()
        starts = list(re.finditer(r"^\s*rule (\w+):", text, flags=re.M))
        for m, nxt in zip(starts, [*starts[1:], None], strict=False):
            block = text[m.end() : nxt.start() if nxt else len(text)]
            assert "log:" in block, f"{smk.name}: rule {m.group(1)} has no log"
