"""The demo Hub generator and the Hub parser (library functions and scripts' main)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest
from hfreuse.errors import InputError
from hfreuse.hub import raw as hub_raw
from hfreuse.hub.demo import FLOOR_ISO, generate_hub_snapshot
from hfreuse.hub.first_commits import iter_histories
from hfreuse.hub.parse import card_lengths, first_commits, merge_parts, parse_pages
from hfreuse.io import atomic_write_json_gz, read_json, write_table
from hfreuse.shards import stable_shard


def models_table(hub_dir, markers=(), history=()):
    """models.parquet as the workflow builds it: parse_hub_pages (one shard), then
    parse_hub_models (README lengths, true dates)."""
    firsts = first_commits(iter_histories(list(history)))
    return merge_parts([parse_pages(hub_dir, 0, 1)], card_lengths(list(markers)), firsts)


def markers(hub: Path) -> list[Path]:
    """The README shard markers of a 3-shard snapshot, named as Snakemake's scatter items."""
    return [hub / "cards" / f"shard-{k}-of-3.json" for k in (1, 2, 3)]


@pytest.fixture(scope="module")
def demo_hub(tmp_path_factory) -> Path:
    hub = tmp_path_factory.mktemp("demo") / "hub"
    generate_hub_snapshot(hub, seed=7, n_models=3000, page_size=400, card_markers=markers(hub))
    return hub


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_demo_is_deterministic_and_seeded(demo_hub, tmp_path):
    again = tmp_path / "again"
    generate_hub_snapshot(again, seed=7, n_models=3000, page_size=400, card_markers=markers(again))
    assert _digest(again) == _digest(demo_hub)
    other = tmp_path / "other"
    generate_hub_snapshot(other, seed=8, n_models=3000, page_size=400, card_markers=markers(other))
    assert _digest(other) != _digest(demo_hub)


def test_demo_raw_format_is_the_crawl_format(demo_hub):
    manifest = read_json(demo_hub / "manifest.json")
    assert manifest["synthetic"] is True
    pages = hub_raw.list_pages(demo_hub)
    assert len(pages) == manifest["pages"] == 8  # 3000 / 400
    first = read_json(pages[0])
    assert set(first) == {"url", "next", "items"}
    assert first["next"] is not None and read_json(pages[-1])["next"] is None
    item = first["items"][0]
    # the expand fields of the live crawl
    for key in (
        "id",
        "author",
        "createdAt",
        "lastModified",
        "tags",
        "siblings",
        "sha",
        "downloads",
    ):
        assert key in item
    created = [m["createdAt"] for m in hub_raw.iter_models(demo_hub)]
    assert created == sorted(created), "pages are in creation order, like the crawl's sort"
    for k, marker in enumerate(markers(demo_hub)):
        assert marker.exists() and read_json(marker)["shard"] == k
        for rec in hub_raw.iter_cards(hub_raw.shard_dir(marker)):
            assert stable_shard(rec["model_id"], 3) == k


def test_demo_is_realistic(demo_hub):
    models = list(hub_raw.iter_models(demo_hub))
    assert len(models) == 3000 == len({m["id"] for m in models})
    types = pd.Series([(m.get("config") or {}).get("model_type") for m in models])
    assert 0.2 < types.isna().mean() < 0.4, "models without a transformers config"
    counts = types.value_counts()
    assert counts.iloc[0] > 5 * counts.iloc[15], "Zipf-like model type frequencies"
    assert {"bert", "gpt2", "llama", "whisper", "t5"} <= set(counts.index)
    floored = sum(m["createdAt"] == FLOOR_ISO for m in models)
    assert floored > 50, "old models carry the createdAt floor"
    card = sum(bool(m.get("cardData")) for m in models) / len(models)
    assert 0.4 < card < 0.6, "about half the models have card data"
    years = {m["lastModified"][:4] for m in models}
    assert min(years) <= "2019" and max(years) >= "2025"


def test_parse_one_row_per_model(demo_hub, tmp_path):
    table = models_table(demo_hub, markers(demo_hub))
    df = table.to_pandas()
    raw = list(hub_raw.iter_models(demo_hub))
    assert len(df) == len(raw) and df["model_id"].is_unique
    assert df["model_id"].tolist() == sorted(df["model_id"])
    assert str(df["created_at"].dtype) == "datetime64[ms, UTC]"
    assert df.loc[df["created_at_floored"], "created_at"].eq(pd.Timestamp(FLOOR_ISO)).all()
    by_id = {m["id"]: m for m in raw}
    sample = df.sample(200, random_state=1)
    for row in sample.itertuples():
        m = by_id[row.model_id]
        expected_type = (m.get("config") or {}).get("model_type")
        assert (None if pd.isna(row.model_type) else row.model_type) == expected_type
        assert row.has_card_data == bool(m.get("cardData"))
        assert row.has_readme == any(s["rfilename"] == "README.md" for s in m["siblings"])
        if row.has_readme:  # the demo serves every README
            assert row.card_length > 0
        else:
            assert pd.isna(row.card_length)
    # byte-identical output when written twice
    write_table(table, tmp_path / "a.parquet")
    write_table(models_table(demo_hub, markers(demo_hub)), tmp_path / "b.parquet")
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()


def test_parse_keeps_last_listing_of_a_duplicate(tmp_path):
    hub = tmp_path / "hub"
    item = {"id": "a/x", "createdAt": "2023-01-02T03:04:05.000Z", "downloads": 1, "siblings": []}
    atomic_write_json_gz(hub_raw.page_path(hub, 1), {"url": "u1", "next": "u2", "items": [item]})
    atomic_write_json_gz(
        hub_raw.page_path(hub, 2), {"url": "u2", "next": None, "items": [{**item, "downloads": 5}]}
    )
    df = models_table(hub, []).to_pandas()
    assert df["downloads"].tolist() == [5]
    assert df["author"].tolist() == ["a"]


def test_parse_names_the_bad_page_and_item(tmp_path):
    hub = tmp_path / "hub"
    atomic_write_json_gz(
        hub_raw.page_path(hub, 1),
        {"url": "u", "next": None, "items": [{"id": "a/x", "createdAt": "yesterday"}]},
    )
    with pytest.raises(InputError, match=r"page-000001\.json\.gz, item 0 \(a/x\) createdAt"):
        models_table(hub, [])
    (hub / "pages" / "page-000001.json.gz").write_bytes(b"\x1f\x8b truncated")
    with pytest.raises(InputError, match="page-000001.json.gz"):
        models_table(hub, [])


def test_sharded_parse_scripts_equal_the_unsharded_parse(demo_hub, tmp_path):
    import parse_hub_models
    import parse_hub_pages

    manifest = str(demo_hub / "manifest.json")
    parts = []
    for k in range(3):
        part = tmp_path / f"models-{k + 1}-of-3.parquet"
        parse_hub_pages.main(manifest=manifest, part=str(part), shard=k, n_shards=3)
        parts.append(str(part))
    pages = [pd.read_parquet(p)["page"].unique().tolist() for p in parts]
    assert sorted(pages[0]) == [1, 4, 7] and sorted(pages[2]) == [3, 6]  # round-robin
    out = tmp_path / "models.parquet"
    parse_hub_models.main(
        manifest=manifest,
        card_manifests=[str(m) for m in markers(demo_hub)],
        parts=parts,
        models=str(out),
        quarantine=str(tmp_path / "quarantine.parquet"),
    )
    assert pd.read_parquet(tmp_path / "quarantine.parquet").empty  # the demo quarantines nothing
    df = pd.read_parquet(out)
    assert len(df) == json.loads((demo_hub / "manifest.json").read_text())["models"]
    write_table(models_table(demo_hub, markers(demo_hub)), tmp_path / "whole.parquet")
    assert out.read_bytes() == (tmp_path / "whole.parquet").read_bytes()
