"""Card data decided as huggingface_hub decides it (issue 19 item 1).

The reference is huggingface_hub's own metadata parsing (``repocard.metadata_load`` on the README
file): the project's answer must equal it on every real card of ../shared/data/hub/hn5318-cards
and on variants of each (a YAML block after a blank line, after a byte-order mark, CRLF line
ends, ``---`` inside the text, an empty block, a block that is not a mapping, ...).
"""

from __future__ import annotations

import json

import pytest
import yaml
from conftest import shared_path
from crawl_support import EXPAND, client
from hfreuse.hub.card_history import (
    card_history_table,
    crawl_card_history,
    iter_card_history,
    sample_models,
)
from hfreuse.hub.carddata import card_metadata, has_card_data
from hfreuse.hub.cards import readme_revisions
from hfreuse.hub.listing import crawl_models
from hub_stub import StubHub, assign_cards, make_histories, real_models
from huggingface_hub.repocard import metadata_load

HEADER = "---\nlicense: mit\ntags:\n- demo\n---\n"


def variants(text: str) -> dict[str, str]:
    """README variants of a real card text: the cases a hand-written header test gets wrong."""
    return {
        "as is": text,
        "header": HEADER + text,
        "leading newline": "\n" + HEADER + text,
        "leading blank lines and spaces": "\n  \n\t" + HEADER + text,
        "bom": "\ufeff" + HEADER + text,
        "bom and newline": "\ufeff\n" + HEADER + text,
        "crlf": (HEADER + text).replace("\n", "\r\n"),
        "crlf, leading newline": ("\n" + HEADER + text).replace("\n", "\r\n"),
        "old mac line ends": (HEADER + text).replace("\n", "\r"),
        "--- inside the text": text + "\n\n---\nlicense: mit\n---\n",
        "heading first": "# Title\n" + HEADER + text,
        "empty block": "---\n---\n" + text,
        "blank block": "---\n\n---\n" + text,
        "comment-only block": "---\n# nothing here\n---\n" + text,
        "null value": "---\nlicense:\n---\n" + text,
        "list block": "---\n- a\n- b\n---\n" + text,
        "string block": "---\njust words\n---\n" + text,
        "number block": "---\n42\n---\n" + text,
        "invalid yaml": "---\nlicense: [unclosed\n---\n" + text,
        "unclosed block": "---\nlicense: mit\n" + text,
        "closing with spaces": "---\nlicense: mit\n---   \n" + text,
        "indented opening": "   ---\nlicense: mit\n---\n" + text,
    }


def hub_answer(path) -> bool:
    """huggingface_hub's answer for a README file: its metadata block is a non-empty mapping
    (metadata_load raising, for YAML that does not parse or is not a mapping, counts as none)."""
    try:
        return bool(metadata_load(path))
    except (yaml.YAMLError, ValueError):
        return False


def real_cards() -> list[str]:
    path = shared_path("hub", "hn5318-cards", "Dataset", "Sample_modelcard", "samples_data.json")
    doc = json.loads(path.read_text(encoding="utf-8"))
    return [doc[k]["modelcard_text"] for k in sorted(doc, key=int)]


def test_a_block_after_a_blank_line_is_card_data():
    """The case the old ``\\A\\ufeff?---`` test got wrong: the Hub reads the block."""
    assert has_card_data("\n---\nlicense: mit\n---\n# x") is True
    assert has_card_data("\r\n\r\n---\r\nlicense: mit\r\n---\r\n# x") is True
    assert has_card_data("\ufeff---\nlicense: mit\n---\n") is True
    assert has_card_data("---\nlicense: mit\n---\n# x") is True
    assert has_card_data("---\n---\n# x") is False
    assert has_card_data("# no header\n---\nlicense: mit\n---") is False
    assert has_card_data("---\n- a\n---\n") is False
    assert has_card_data("---\nlicense: [unclosed\n---\n") is False
    assert has_card_data(None) is None
    assert card_metadata("\n---\nlicense: mit\n---\n") == {"license": "mit"}
    assert card_metadata("# x") is None
    with pytest.raises(ValueError):
        card_metadata("---\n- a\n---\n")


def test_every_real_card_and_variant_agrees_with_huggingface_hub(tmp_path):
    cards = real_cards()
    assert len(cards) == 758
    checked, with_data, disagree = 0, 0, []
    for i, text in enumerate(cards):
        for j, (name, variant) in enumerate(variants(text).items()):
            path = tmp_path / f"{i}-{j}.md"  # a README file (new files: rewriting one is slow)
            path.write_bytes(variant.encode("utf-8"))  # as fetched: the bytes the Hub serves
            want = hub_answer(path)
            if has_card_data(variant) is not want:
                disagree.append(f"card {i + 1}, {name}: hub {want}")
            checked += 1
            with_data += want
    assert not disagree, f"{len(disagree)} disagreements, e.g. {disagree[:5]}"
    assert checked == 758 * len(variants("x")) and 0 < with_data < checked


def listed_hub(httpserver, tmp_path):
    """The stub Hub with a history for every model, listed: (hub, its folder, the card history's
    manifest path)."""
    models = real_models()
    hub = StubHub(
        models=models,
        cards=assign_cards(models),
        histories=make_histories(models, only_floored=False),
    ).install(httpserver)
    hub_dir = tmp_path / "raw" / "stub-1" / "hub"
    crawl_models(hub_dir, hub.base_url, EXPAND, 500, client=client())
    return hub, hub_dir, hub_dir / "card_history" / "manifest.json"


def test_card_history_reads_card_data_as_the_hub(httpserver, tmp_path):
    """Live behaviour against the stub Hub: READMEs whose first version starts with a blank line,
    a BOM or CRLF line ends count as having card data then."""
    hub, hub_dir, manifest = listed_hub(httpserver, tmp_path)
    sample = sample_models(list(readme_revisions(hub_dir)), 8, 3)
    then = [True, True, True, False, False, False, True, False]  # the Hub's answer for each
    firsts = [
        "\n" + HEADER + "# then\n",
        "\ufeff" + HEADER + "# then\n",
        (HEADER + "# then\n").replace("\n", "\r\n"),
        "\n\n---\n---\n# empty block then\n",
        "# no block then\n\n---\nlicense: mit\n---\n",
        "\n---\n- a list\n---\n",
        HEADER + "# then\n",
        "# plain\n",
    ]
    for m, text in zip(sample, firsts, strict=True):
        hub.cards[m] = HEADER + "# today\n"
        hub.readme_from[m] = 0
        hub.readme_then[m] = text
    crawl_card_history(hub_dir, manifest, hub.base_url, 8, 3, client=client())
    recs = {r["model_id"]: r for r in iter_card_history(manifest)}
    table = card_history_table(recs.values(), {m: True for m in sample}).set_index("model_id")
    got = {m: table.loc[m, "card_data_at_first_readme"] for m in sample}
    # a history of one commit has only today's README (with card data)
    want = {m: len(hub.histories[m]) == 1 or t for m, t in zip(sample, then, strict=True)}
    assert got == want and sum(len(hub.histories[m]) > 1 for m in sample) >= 6


def test_card_history_manifest_says_when_the_crawl_finished(httpserver, tmp_path):
    """Issue 19 item 9: the manifest had ``crawl_finished_at: null`` (the report showed it blank)."""
    hub, hub_dir, manifest = listed_hub(httpserver, tmp_path)
    doc = crawl_card_history(hub_dir, manifest, hub.base_url, 3, 1, client=client())
    started, finished = doc["crawl_started_at"], doc["crawl_finished_at"]
    assert finished and started <= finished  # ISO UTC stamps sort as times
    assert json.loads(manifest.read_text())["crawl_finished_at"] == finished
    again = crawl_card_history(hub_dir, manifest, hub.base_url, 3, 1, client=client())
    assert again["crawl_finished_at"] == finished  # a rerun with nothing to fetch keeps it


def test_demo_readmes_carry_the_listing_card_data(tmp_path):
    """The demo generator writes each README's metadata block from the card data its listing
    serves: huggingface_hub's reading of the README gives that card data back."""
    from hfreuse.hub import raw as hub_raw
    from hfreuse.hub.demo import generate_hub_snapshot

    hub = tmp_path / "hub"
    shards = [hub / "cards" / f"shard-{k}-of-2.json" for k in (1, 2)]
    generate_hub_snapshot(hub, seed=3, n_models=600, page_size=200, card_markers=shards)
    listed = {m["id"]: m.get("cardData") for m in hub_raw.iter_models(hub)}
    texts = {
        r["model_id"]: r["text"]
        for marker in shards
        for r in hub_raw.iter_cards(hub_raw.shard_dir(marker))
        if r.get("text") is not None
    }
    assert len(texts) > 200
    for model_id, text in texts.items():
        assert (card_metadata(text) or None) == (listed[model_id] or None), model_id
        assert has_card_data(text) is bool(listed[model_id])
