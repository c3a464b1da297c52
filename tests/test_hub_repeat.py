"""Repeat snapshots of the Hub (hub.previous_snapshot, issue 21 item 1), against the stub Hub: the
listing is crawled anew, the READMEs whose listed sha did not change and the first commits of the
floored models already dated are taken over from the previous snapshot into the new one's own
parts, and only new or changed models are asked."""

from __future__ import annotations

import gzip
import hashlib
import shutil
import sys
from pathlib import Path

import pyarrow as pa
import pytest
from crawl_support import client, crawl_hub, run_until
from hfreuse.errors import InputError
from hfreuse.hub import raw as hub_raw
from hfreuse.hub.cards import crawl_cards
from hfreuse.hub.first_commits import crawl_first_commits, iter_histories
from hfreuse.hub.parse import card_lengths, first_commits, merge_parts, parse_pages
from hfreuse.io import read_json
from hub_stub import FLOOR_ISO, StubHub, floored, has_readme, make_histories

N = 2  # card and history shards


def marker(hub_dir: Path, kind: str, k: int) -> Path:
    return hub_dir / kind / f"shard-{k + 1}-of-{N}.json"


def snapshot(hub: StubHub, raw: Path, name: str, previous: str | None = None) -> Path:
    """The listing, the README shards and the history shards of snapshot ``name``."""
    hub_dir = raw / name / "hub"
    crawl_hub(hub, hub_dir)
    for k in range(N):
        kw = {"client": client(), "previous_snapshot": previous}
        crawl_cards(hub_dir, marker(hub_dir, "cards", k), k, N, hub.base_url, **kw)
        crawl_first_commits(hub_dir, marker(hub_dir, "history", k), k, N, hub.base_url, **kw)
    return hub_dir


def table(hub_dir: Path) -> pa.Table:
    """The models table of a snapshot, from its own raw files."""
    cards = [marker(hub_dir, "cards", k) for k in range(N)]
    histories = [marker(hub_dir, "history", k) for k in range(N)]
    parts = [parse_pages(hub_dir, 0, 1)]
    return merge_parts(parts, card_lengths(cards), first_commits(iter_histories(histories)))


def parts_text(hub_dir: Path, kinds: tuple[str, ...] = ("cards", "history")) -> dict[str, bytes]:
    """Every README (and history) part of a snapshot, decompressed, by its path."""
    return {
        str(p.relative_to(hub_dir)): gzip.decompress(p.read_bytes())
        for kind in kinds
        for p in sorted((hub_dir / kind).glob("shard-*/part-*.jsonl.gz"))
    }


def changed_stub(hub: StubHub) -> tuple[StubHub, set[str], set[str]]:
    """The stub a month later: 1 % of the models with a README have a new sha and README text,
    3 new floored models (with a README and a history). Returns it, the models whose README
    must be asked, and those whose history must be asked."""
    with_readme = sorted(m["id"] for m in hub.models if has_readme(m) and m.get("sha"))
    step = len(with_readme) // max(1, len(with_readme) // 100)
    changed = set(with_readme[::step][: len(with_readme) // 100])
    models = []
    for m in hub.models:
        if m["id"] in changed:
            m = {**m, "sha": hashlib.sha1(f"{m['id']}:new".encode()).hexdigest()}
        models.append(m)
    template = next(m for m in hub.models if floored(m) and has_readme(m))
    new = [
        {**template, "id": f"repeat/new-floored-{i}", "_id": f"ffffffffffffffffffff{i:04d}",
         "createdAt": FLOOR_ISO, "sha": hashlib.sha1(f"new-{i}".encode()).hexdigest()}
        for i in range(3)
    ]  # fmt: skip
    models = tuple(sorted(models + new, key=lambda m: (m["createdAt"], m["_id"])))
    cards = {**hub.cards, **{m: f"# {m}\n\nA new README.\n" for m in changed}}
    cards.update({m["id"]: "# new floored model\n" for m in new})
    histories = {**hub.histories, **make_histories(tuple(new))}
    stub = StubHub(models=models, cards=cards, histories=histories)
    return stub, changed | {m["id"] for m in new}, {m["id"] for m in new}


def reinstall(httpserver, stub: StubHub) -> StubHub:
    httpserver.clear()
    return stub.install(httpserver)


def asked(stub: StubHub, kind: str) -> list[str]:
    return sorted(h.key if kind == "card" else h.key[0] for h in stub.hits if h.kind == kind)


def test_a_repeat_asks_only_what_changed_and_gives_a_fresh_crawls_table(hub, httpserver, tmp_path):
    raw = tmp_path / "raw"
    first = snapshot(hub, raw, "s1")
    hub.hits.clear()
    # nothing changed: the listing alone, the same parts and table as the fresh crawl s1
    second = snapshot(hub, raw, "s2", previous="s1")
    assert hub.count("card") == hub.count("commits") == 0
    assert hub.count("list") == len(hub_raw.list_pages(second))
    assert table(second).equals(table(first))
    assert parts_text(second) == parts_text(first)
    docs = [read_json(marker(second, kind, k)) for kind in ("cards", "history") for k in range(N)]
    assert all(d["from_snapshot"] == "s1" for d in docs)
    assert sum(d["taken_over"] for d in docs[:N]) == sum(d["cards"] for d in docs[:N])
    # the repeat is complete on its own: the previous snapshot deleted, its table is rebuilt
    expected = table(second)
    shutil.rmtree(first.parent)
    assert table(second).equals(expected)
    # a month later: exactly the changed and new READMEs, the new floored models' histories
    later, readmes, histories = changed_stub(hub)
    assert len(readmes) == 3 + len([m for m in hub.models if has_readme(m)]) // 100
    reinstall(httpserver, later)
    third = snapshot(later, raw, "s3", previous="s2")
    assert asked(later, "card") == sorted(readmes)
    assert asked(later, "commits") == sorted(histories)
    # the same READMEs as a fresh crawl of the same server, part for part (a history taken
    # over keeps the revision it was fetched at), and the same table
    fresh = snapshot(later, raw, "fresh")
    assert parts_text(third, ("cards",)) == parts_text(fresh, ("cards",))
    assert table(third).equals(table(fresh))
    dated = first_commits(iter_histories([marker(third, "history", k) for k in range(N)]))
    assert all(dated[m][0] is not None for m in histories)


def test_a_previous_snapshot_missing_or_damaged_is_one_clear_error(hub, tmp_path):
    raw = tmp_path / "raw"
    first, hub_dir = raw / "s1" / "hub", raw / "s2" / "hub"
    crawl_hub(hub, first)
    crawl_cards(first, marker(first, "cards", 0), 0, N, hub.base_url, 40, client=client())
    shutil.copytree(first / "pages", hub_dir / "pages")
    shutil.copy(first / "manifest.json", hub_dir / "manifest.json")
    hub.hits.clear()
    with pytest.raises(InputError, match="hub.previous_snapshot 'gone'.*complete snapshot"):
        crawl_cards(hub_dir, marker(hub_dir, "cards", 0), 0, N, hub.base_url, 40,
                    client=client(), previous_snapshot="gone")  # fmt: skip
    part = hub_raw.list_parts(hub_raw.shard_dir(marker(first, "cards", 0)))[0]
    part.write_bytes(part.read_bytes()[:40])
    with pytest.raises(InputError, match=f"hub.previous_snapshot 's1'.*{part.name}"):
        crawl_cards(hub_dir, marker(hub_dir, "cards", 0), 0, N, hub.base_url, 40,
                    client=client(), previous_snapshot="s1")  # fmt: skip
    assert hub.count("card") == 0 and not marker(hub_dir, "cards", 0).exists()


KILL = """
import sys
from hfreuse.clients import HttpClient
from hfreuse.hub.cards import crawl_cards
crawl_cards(sys.argv[1], sys.argv[2], 0, 1, sys.argv[3], 400, client=HttpClient(600.0),
            part_size=4, previous_snapshot="s1")
"""


def test_sigkill_during_the_take_over_then_a_rerun_gives_the_same_bytes(hub, httpserver, tmp_path):
    raw = tmp_path / "raw"
    first = raw / "s1" / "hub"
    crawl_hub(hub, first)
    crawl_cards(first, first / "cards" / "shard-1-of-1.json", 0, 1, hub.base_url, 400,
                client=client())  # fmt: skip
    later, readmes, _ = changed_stub(hub)
    reinstall(httpserver, later)
    whole, killed = raw / "whole" / "hub", raw / "killed" / "hub"
    crawl_hub(later, whole)
    shutil.copytree(whole, killed)
    crawl_cards(whole, whole / "cards" / "shard-1-of-1.json", 0, 1, later.base_url, 400,
                client=client(), part_size=4, previous_snapshot="s1")  # fmt: skip
    path = killed / "cards" / "shard-1-of-1.json"
    run_until(
        [sys.executable, "-c", KILL, str(killed), str(path), later.base_url],
        lambda: len(hub_raw.list_parts(hub_raw.shard_dir(path))) >= 3,
    )
    assert not path.exists()
    doc = crawl_cards(killed, path, 0, 1, later.base_url, 400, client=client(), part_size=4,
                      previous_snapshot="s1")  # fmt: skip
    assert doc["runs"] == 2 and doc["from_snapshot"] == "s1"

    def stored(hub_dir: Path) -> dict[str, bytes]:
        folder = hub_dir / "cards" / "shard-1-of-1"
        return {p.name: gzip.decompress(p.read_bytes()) for p in hub_raw.list_parts(folder)}

    assert stored(killed) == stored(whole) and len(stored(whole)) == 100
    whole_doc = read_json(whole / "cards" / "shard-1-of-1.json")
    assert doc["taken_over"] == whole_doc["taken_over"] == 400 - len(readmes & doc_ids(whole))


def doc_ids(hub_dir: Path) -> set[str]:
    return {r["model_id"] for r in hub_raw.iter_cards(hub_dir / "cards" / "shard-1-of-1")}


def test_traced_models_keep_their_card_history_trace(history_hub, httpserver, tmp_path):
    """A sampled model traced at the sha still listed keeps its trace (0 requests when nothing
    changed); one whose sha changed is traced again; the repeat reads without the previous."""
    from hfreuse.hub.card_history import crawl_card_history, read_card_history

    hub, raw = history_hub, tmp_path / "raw"

    def trace(stub: StubHub, name: str, previous: str | None = None) -> dict:
        hub_dir = raw / name / "hub"
        crawl_hub(stub, hub_dir)
        stub.hits.clear()
        crawl_card_history(hub_dir, hub_dir / "card_history" / "manifest.json", stub.base_url,
                           12, 7, client=client(), previous_snapshot=previous)  # fmt: skip
        return {
            r["model_id"]: r for r in read_card_history(hub_dir / "card_history" / "manifest.json")
        }

    first = trace(hub, "s1")
    assert all(r["status"] == 200 for r in first.values())
    assert trace(hub, "s2", previous="s1") == first
    assert hub.count("commits") == hub.count("card") == 0
    shutil.rmtree(raw / "s1")
    moved = sorted(first)[:2]  # two sampled models pushed a commit since: a new sha each
    models = tuple(
        {**m, "sha": hashlib.sha1(f"{m['id']}:new".encode()).hexdigest()} if m["id"] in moved else m
        for m in hub.models
    )
    later = reinstall(httpserver, StubHub(models=models, cards=hub.cards, histories=hub.histories))
    third = trace(later, "s3", previous="s2")
    assert sorted({h.key[0] for h in later.hits if h.kind == "commits"}) == moved
    assert {m: r for m, r in third.items() if m not in moved} == {
        m: r for m, r in first.items() if m not in moved
    }
    doc = read_json(raw / "s3" / "hub" / "card_history" / "manifest.json")
    assert doc["taken_over"] == 10 and doc["from_snapshot"] == "s2"
