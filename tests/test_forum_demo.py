"""The synthetic demo forum: deterministic, HF-forum-like, in the crawl's raw format."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pandas as pd
import pytest
from hfreuse.errors import InputError
from hfreuse.forum import raw as raw
from hfreuse.forum.demo import CATEGORIES, generate_forum_snapshot
from hfreuse.forum.parse import parse_forum
from hfreuse.io import read_json
from testenv import forum_table_paths

SEED = 20240117


def all_bytes(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    forum = tmp_path_factory.mktemp("demo") / "demo-v1" / "forum"
    start = time.perf_counter()
    manifest = generate_forum_snapshot(forum, SEED, 1500)
    seconds = time.perf_counter() - start
    cats, topics, posts = (t.to_pandas() for t in parse_forum(forum))
    return forum, manifest, seconds, cats, topics, posts


def test_same_seed_same_bytes_other_seed_other_forum(tmp_path):
    a, b, c = (tmp_path / n / "demo" / "forum" for n in ("a", "b", "c"))
    generate_forum_snapshot(a, 7, 300)
    generate_forum_snapshot(b, 7, 300)
    generate_forum_snapshot(c, 8, 300)
    files = all_bytes(a)
    assert files == all_bytes(b)
    assert ".pseudonym_key" in files and "manifest.json" in files
    assert files != all_bytes(c)
    generate_forum_snapshot(a, 7, 300)  # a rerun rewrites the same bytes
    assert all_bytes(a) == files


def test_demo_is_fast_and_labelled_synthetic(demo):
    forum, manifest, seconds, *_ = demo
    assert seconds < 15, f"the demo forum took {seconds:.1f}s"  # ~1-2 s on an idle machine
    assert manifest["synthetic"] is True and manifest["source"] == "demo"
    assert "SYNTHETIC" in manifest["note"]
    assert read_json(forum / "listing.json")["synthetic"] is True


def test_raw_format_is_the_crawls(demo):
    forum, manifest, _, _, topics, posts = demo
    listing = raw.read_listing(forum)
    pages = raw.list_pages(forum)
    assert len(pages) == listing["pages"] == -(-1500 // 30) + 1
    assert raw.page_topics(read_json(pages[-1]), "last") == []  # the empty page
    assert [p.name for p in raw.list_pages(forum, "catchup")] == ["catchup-000000.json.gz"]
    entries = raw.listed_entries(forum)
    assert sorted(entries) == listing["topic_ids"] and len(entries) == 1500
    # the request count a crawl of it would take: the bound of the live crawl
    batches = sum(-(-max(e["posts_count"] - 20, 0) // 20) for e in entries.values())
    assert manifest["requests"]["requests"] == 1 + len(pages) + 1 + 1500 + batches
    long = topics.loc[topics["posts_count"] > 20, "topic_id"].tolist()
    assert long, "some topics have more than 20 posts"
    rec = raw.read_record(raw.topic_path(forum, long[0]))
    assert len(rec["topic"]["post_stream"]["posts"]) == 20 and rec["post_batches"]
    assert len(raw.record_posts(rec)) == rec["topic"]["posts_count"]
    assert len(posts) == manifest["posts"] == topics["posts_count"].sum()


def test_demo_looks_like_the_hf_forum(demo):
    _, _, _, cats, topics, posts = demo
    names = set(cats["name"])
    for name in ["Beginners", "Transformers", "Models", "Datasets", "Intermediate", "Spaces"]:
        assert name in names
    assert len(cats) == len(CATEGORIES) and (cats["topics_in_snapshot"] > 0).all()
    assert topics["created_at"].min() >= pd.Timestamp("2020-07-01", tz="UTC")
    assert topics["created_at"].max() < pd.Timestamp("2025-06-19", tz="UTC")
    per_year = topics.groupby(topics["created_at"].dt.year).size()
    assert per_year[2021] < per_year[2022] < per_year[2024]  # growth
    regular = topics[~topics["pinned"]]
    assert 0.3 < (regular["posts_count"] == 1).mean() < 0.45  # many without a reply
    assert 2.8 < regular["posts_count"].mean() < 3.6
    assert topics["pinned"].sum() == len(CATEGORIES) + 2
    by_cat = topics["category"].value_counts()
    assert by_cat.index[0] == "Beginners" and by_cat["Beginners"] > 3 * by_cat["Intermediate"]
    assert topics.loc[topics["category"] == "Diffusers", "created_at"].min() >= pd.Timestamp(
        "2022-08-01", tz="UTC"
    )
    # accepted answers, by staff and by other users
    acc = posts[posts["is_accepted_answer"]]
    assert len(acc) == topics["has_accepted_answer"].sum() > 100
    assert 0.2 < acc["author_is_staff"].mean() < 0.5
    assert posts["author"].str.fullmatch(r"user-[0-9a-f]{16}").all()
    assert not posts["text"].str.contains("demo_user_").any()  # mentions pseudonymized too


def test_mentions_in_realistic_proportions(demo):
    _, _, _, _, topics, posts = demo
    text = posts.groupby("topic_id")["text"].apply("\n".join)
    doc = topics.set_index("topic_id")["title"] + "\n" + text

    def topics_with(pattern: str) -> int:
        return int(doc.str.contains(pattern, regex=True, flags=re.I).sum())

    bert = topics_with(r"(?<![\w-])(?:bert|bert-base-\w+|bert-large)(?![\w-])")
    roberta = topics_with(r"(?<![\w-])roberta(?:-base|-large)?(?![\w-])")
    longformer = topics_with(r"longformer")
    assert bert > roberta > longformer > 0  # Zipf-like
    assert topics_with(r"GPT-2") and topics_with(r"XLM-R\b") and topics_with(r"wav2vec 2\.0")
    # ambiguous names used as plain words, and as model names
    assert topics_with(r"clip the gradients") and topics_with(r"\bCLIP\b")
    assert topics_with(r"git clone|git pull") and topics_with(r"\bopt for\b|\bopt out\b")
    # llama is only talked about after its release (2023-02)
    llama = doc[doc.str.contains(r"llama", case=False)].index
    first = topics.set_index("topic_id").loc[llama, "created_at"].min()
    assert first >= pd.Timestamp("2023-02-01", tz="UTC")
    # code blocks survive as text
    assert posts["text"].str.contains('from_pretrained("', regex=False).sum() > 20


def test_topic_length_can_be_scaled(tmp_path):
    from hfreuse.forum.demo_plan import mean_posts, solve_mu

    assert abs(mean_posts(solve_mu(4.0)) - 4.0) < 1e-6  # the expected topic length
    manifest = generate_forum_snapshot(tmp_path / "f", 3, 2000, mean_posts_per_topic=4.0)
    assert 3.4 < manifest["posts"] / 2000 < 4.7  # a heavy tail: the sample mean varies


def test_refuses_to_overwrite_a_crawled_snapshot(tmp_path):
    forum = tmp_path / "live" / "forum"
    raw.write_json_gz(raw.topic_path(forum, 1), {"crawled": True})
    with pytest.raises(InputError, match="crawled forum snapshot"):
        generate_forum_snapshot(forum, 1, 100)
    assert raw.topic_path(forum, 1).exists()


def test_parallel_parse_gives_the_same_tables(demo):
    forum, *_, cats, topics, posts = demo
    par = parse_forum(forum, n_shards=3)
    assert par[0].to_pandas().equals(cats)
    assert par[1].to_pandas().equals(topics)
    assert par[2].to_pandas().equals(posts)


def test_sharded_parse_gives_byte_identical_tables(demo, tmp_path, monkeypatch):
    """1 shard or N static shards (parse_forum_topics + parse_forum): the same parquet bytes;
    the shards' part tables are documented in the data dictionary."""
    import parse_forum as gather_script
    import parse_forum_topics as shard_script
    from conftest import ROOT
    from hfreuse.io import write_table
    from hfreuse.report import dictionary as rd

    forum = demo[0]
    reference = {}
    for name, table in zip(["categories", "topics", "posts"], parse_forum(forum), strict=True):
        write_table(table, tmp_path / f"{name}.parquet")
        reference[name] = (tmp_path / f"{name}.parquet").read_bytes()
    entries = rd.load_dictionary([ROOT / "workflow" / "report" / "dictionary" / "forum.yaml"])
    for n in (1, 3, 8):
        monkeypatch.chdir(tmp_path)
        out = Path(f"n{n}") / "results" / "forum"
        shards = [f"{k + 1}-of-{n}" for k in range(n)]  # Snakemake's scatter items
        parts = {
            kind: [str(out / "parts" / f"{kind}-{s}.parquet") for s in shards]
            for kind in ("topics", "posts")
        }
        for k, (topics, posts) in enumerate(zip(parts["topics"], parts["posts"], strict=True)):
            shard_script.main(
                manifest=str(forum / "manifest.json"),
                topics=topics,
                posts=posts,
                shard=k,
                n_shards=n,
                staff_groups=[],
            )
        sizes = [pd.read_parquet(p).shape[0] for p in parts["topics"]]
        assert sum(sizes) == 1500 and (n == 1 or max(sizes) < 1500)  # every topic, once
        gather_script.main(
            manifest=str(forum / "manifest.json"),
            topic_parts=parts["topics"][::-1],  # the order of the parts does not matter
            post_parts=parts["posts"],
            **forum_table_paths(out),
        )
        assert pd.read_parquet(out / "quarantine.parquet").empty  # the demo quarantines nothing
        assert pd.read_parquet(out / "site.parquet").to_dict("records") == [
            {
                "base_url": "https://forum.demo.invalid",
                "host": "forum.demo.invalid",
                "title": "hfreuse demo forum (SYNTHETIC)",
                "title_source": "basic-info",
            }
        ]
        for name, want in reference.items():
            assert (out / f"{name}.parquet").read_bytes() == want, (n, name)
        monkeypatch.chdir(tmp_path / f"n{n}")
        tables = [str(Path(p).relative_to(f"n{n}")) for p in parts["topics"] + parts["posts"]]
        assert rd.coverage_problems(rd.coverage(tables, entries)) == []


def test_gather_refuses_overlapping_shards(demo):
    from hfreuse.forum.parse import gather_forum, parse_forum_shard

    forum = demo[0]
    topics, posts = parse_forum_shard(forum, 0, 2)
    with pytest.raises(InputError, match="two parse shards"):
        gather_forum(forum, [topics, topics], [posts, posts])
    with pytest.raises(InputError, match="shard 2 of 2: expected 0 <= index < count"):
        parse_forum_shard(forum, 2, 2)


def test_tables_are_documented_and_captions_render(demo, tmp_path):
    import yaml
    from conftest import ROOT
    from hfreuse.forum import stats as fs
    from hfreuse.forum.parse import topic_quarantine
    from hfreuse.forum.site import site_table
    from hfreuse.io import write_parquet, write_table
    from hfreuse.report import dictionary as rd
    from hfreuse.report.html import rst_to_html

    forum, *_ = demo
    out = tmp_path / "results" / "forum"
    out.mkdir(parents=True)
    cats, topics, posts = parse_forum(forum)
    for name, table in (("categories", cats), ("topics", topics), ("posts", posts)):
        write_table(table, out / f"{name}.parquet")
    write_table(topic_quarantine(forum), out / "quarantine.parquet")
    write_table(site_table(forum, "https://forum.demo.invalid", "x"), out / "site.parquet")
    t, p = topics.to_pandas(), posts.to_pandas()
    write_parquet(fs.topics_per_category_monthly(t), out / "topics_per_category_monthly.parquet")
    write_parquet(fs.posts_per_topic(t), out / "posts_per_topic.parquet")
    write_parquet(fs.accepted_answers(t, p), out / "accepted_answers.parquet")
    write_parquet(fs.summary(t, p), out / "summary.parquet")
    entries = rd.load_dictionary([ROOT / "workflow" / "report" / "dictionary" / "forum.yaml"])
    tables = sorted(str(f) for f in out.glob("*.parquet"))
    keys = {f"results/forum/{Path(f).name}" for f in tables}
    assert keys == {k for k in entries if k.startswith("results/forum/") and "/parts/" not in k}
    covs = rd.coverage(tables, {str(out / Path(k).name): v for k, v in entries.items()})
    assert rd.coverage_problems(covs) == []

    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    for fig in ["topics_per_category", "beginners_vs_intermediate", "posts_per_topic"]:
        path = ROOT / "workflow" / "report" / "captions" / f"{fig}.rst"
        html = rst_to_html(path.read_text(), str(path), {"snakemake": {"config": config}})
        assert "demo-v1" in html
    path = ROOT / "workflow" / "report" / "captions" / "accepted_answers.rst"
    config["forum"]["staff_groups"] = ["hf-team"]
    html = rst_to_html(path.read_text(), str(path), {"snakemake": {"config": config}})
    assert "members of hf-team" in html


def test_summarize_and_plot_scripts(demo, tmp_path):
    """The rule scripts' main() on the demo tables: four tables, then the four forum figures of
    the registry (workflow/figures.yaml) in four formats."""
    import json

    import plot_figure
    import summarize_forum
    import yaml
    from conftest import ROOT
    from hfreuse.figures import builder_args, load_registry
    from hfreuse.io import write_table

    forum, *_ = demo
    out = tmp_path / "results"
    tables = dict(zip(["categories", "topics", "posts"], parse_forum(forum), strict=True))
    for name, table in tables.items():
        write_table(table, out / "forum" / f"{name}.parquet")
    stats = {
        n: str(out / "forum" / f"{n}{'_monthly' if n == 'topics_per_category' else ''}.parquet")
        for n in ("topics_per_category", "posts_per_topic", "accepted_answers", "summary")
    }
    summarize_forum.main(
        topics=str(out / "forum" / "topics.parquet"),
        posts=str(out / "forum" / "posts.parquet"),
        **stats,
    )

    def files(name):
        return {
            k: str(out / "figures" / f"{name}.{e}")
            for k, e in (("html", "html"), ("svg", "svg"), ("png", "png"), ("spec", "json"))
        }

    registry = load_registry(ROOT / "workflow/figures.yaml", ROOT / "workflow/report/captions")
    products = yaml.safe_load((ROOT / "workflow/products.yaml").read_text())
    config = {
        "figures": {"width": 400, "height": 200, "top_n": 5},
        "forum": {"top_categories": 5, "compare_categories": ["Beginners", "Intermediate"]},
    }
    names = ["topics_per_category", "beginners_vs_intermediate", "posts_per_topic"]
    names += ["accepted_answers"]
    for name in names:
        fig = registry[name]
        assert set(fig["inputs"].values()) <= set(products["forum"])  # the forum's tables
        plot_figure.main(
            **files(name),
            builder=fig["builder"],
            args=builder_args(fig, config, {"synthetic": True}),
            **{arg: str(tmp_path / products["forum"][t]) for arg, t in fig["inputs"].items()},
        )
        paths = files(name)
        assert Path(paths["png"]).read_bytes()[:4] == b"\x89PNG"
        assert b"<svg" in Path(paths["svg"]).read_bytes()[:500]
        spec = json.loads(Path(paths["spec"]).read_text())
        assert spec["title"]["subtitle"][0].startswith("SYNTHETIC")
        assert "<html" in Path(paths["html"]).read_text()[:500].lower()
    summary = pd.read_parquet(stats["summary"]).set_index("metric")["value"]
    assert summary["topics"] == 1500
    assert summary["posts"] == tables["posts"].num_rows
