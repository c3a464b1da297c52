"""Half a study (issue 19, item 8): a live run that crawls only the Hub or only the forum
(config crawl.halves) builds every table and figure its half allows, the Hub's model types
included, and the report says what the other half would add."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import copy_workflow
from hfreuse.config_check import config_warnings
from hfreuse.errors import InputError
from hfreuse.hub.charts import build_hub_model_types
from hfreuse.hub.trends import model_types_monthly
from hfreuse.products import halves_products, other_half_sentence, study_halves

CLOSED = "http://127.0.0.1:9"  # a closed local port: a request for the absent half fails


def test_the_halves_give_their_products():
    assert halves_products(["hub"], coded=True) == ["hub_trends", "hub_models"]
    assert halves_products(["forum"], coded=False) == ["forum", "coding_sample"]
    assert halves_products(["forum"], coded=True) == [
        "forum",
        "coding_sample",
        "coded",
        "agreement",
    ]
    both = halves_products(["hub", "forum"], coded=False)
    assert {"mention_trends", "mentions", "hub_trends", "forum"} <= set(both)
    with pytest.raises(InputError, match="crawl.halves"):
        halves_products([], coded=False)


def test_the_other_half_sentence_follows_the_products():
    hub = other_half_sentence(halves_products(["hub"], coded=False))
    assert hub is not None and hub.startswith("This study crawled the Hub only")
    assert "the forum half (crawl.halves: forum) would add" in hub and "RQ1, RQ2" in hub
    forum = other_half_sentence(halves_products(["forum"], coded=True))
    assert forum is not None and "the Hub half (crawl.halves: hub) would add" in forum
    # a study of both halves says nothing: demo, live, and the paper's matrices
    assert other_half_sentence(halves_products(["hub", "forum"], coded=True)) is None
    paper = ["hub_trends", "mention_trends", "coded", "published_counts", "reproduction"]
    assert study_halves(paper) == ["hub", "forum"] and other_half_sentence(paper) is None


def test_halves_without_a_crawl_are_named_as_without_effect():
    (warning,) = config_warnings({"source": "demo", "crawl": {"halves": ["hub"]}})
    assert warning.startswith("crawl.halves is ['hub'] but source demo does not crawl")
    assert config_warnings({"source": "live", "crawl": {"halves": ["hub"]}}) == []
    assert config_warnings({"source": "paper", "crawl": {"halves": ["hub", "forum"]}}) == []


def _models() -> pd.DataFrame:
    rows = [
        ("bert", "2022-03-02T23:29:04Z"),  # floored: left out of the lines and the ranking
        ("bert", "2022-03-02T23:29:04Z"),
        ("bert", "2022-03-02T23:29:04Z"),
        ("gpt2", "2022-05-01T00:00:00Z"),
        ("gpt2", "2022-05-02T00:00:00Z"),
        ("bert", "2022-06-03T00:00:00Z"),
    ]
    df = pd.DataFrame(rows, columns=["model_type", "created_at"])
    df["created_at"] = pd.to_datetime(df["created_at"], utc=True)
    df["created_at_floored"] = df["created_at"] == pd.Timestamp("2022-03-02T23:29:04Z")
    df["has_card_data"] = False
    return df


def test_hub_model_types_draws_from_the_hub_alone():
    """Without the forum there is no totals table: the types are ranked by the Hub models the
    chart shows, even with figures.model_types_by: forum."""
    monthly = model_types_monthly(_models())
    for rank_by in ("hub", "forum"):
        spec = build_hub_model_types(monthly, None, rank_by, top_n=1).to_dict()
        lines = [
            d
            for data in spec["datasets"].values()
            for d in data
            if isinstance(d, dict) and "model_type" in d and "models" in d
        ]
        assert {d["model_type"] for d in lines} == {"gpt2"}  # 2 shown, bert 1 (3 floored)
        assert any("top by Hub models" in s for s in spec["title"]["subtitle"])


# --- live runs of one half against the stubs ---


def _run_live(wf: Path, overlay: str) -> None:
    (wf / "config" / "stub.yaml").write_text(overlay)
    env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        env[var] = CLOSED
    cmd = [sys.executable, "-m", "snakemake", "--cores", "2", "--configfile", "config/stub.yaml"]
    proc = subprocess.run(cmd, cwd=wf, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-6000:]


NOT_EVALUATED = "not evaluated"
NOT_CODED = "no coded topics (this run has no taxonomy counts)"
NEEDS_BOTH = "this run has no forum mentions next to Hub uploads (it needs both halves)"


def _not_evaluated(wf: Path) -> dict[str, str]:
    """The claims of the run's claims table that are not evaluated, with their reasons."""
    claims = pd.read_parquet(wf / "results/stats/claims.parquet")
    rows = claims[claims["verdict"].astype(str) == NOT_EVALUATED]
    return dict(zip(rows["claim_id"].astype(str), rows["computed_value"].astype(str), strict=True))


def _outputs(wf: Path) -> tuple[list[str], list[str], str]:
    results = wf / "results"
    tables = sorted(
        p.relative_to(wf).as_posix()
        for p in results.rglob("*")
        if p.suffix in (".parquet", ".csv")
        and "parts" not in p.parts
        and "shards" not in p.parts
        and p.parent.name != "report"
    )
    figures = sorted(p.stem for p in (results / "figures").glob("*.svg"))
    html = (results / "report.html").read_text(encoding="utf-8")
    assert sorted(re.findall(r'data-figure="([^"]+)"', html)) == figures
    return tables, figures, html


@pytest.mark.workflow
def test_a_hub_only_live_run_builds_the_hub_half_and_says_what_the_forum_adds(httpserver, tmp_path):
    from hub_stub import StubHub, assign_cards, real_models

    models = real_models()
    hub = StubHub(models=models, cards=assign_cards(models)).install(httpserver)
    wf = copy_workflow(tmp_path / "wf")
    _run_live(
        wf,
        "source: live\nsnapshot: hub-only\ncrawl:\n  halves: [hub]\nhub:\n"
        f"  endpoint: {hub.base_url}\n  page_size: 250\n  card_shards: 2\n  max_cards: 200\n"
        "  requests_per_minute: 6000\n  resolves_per_minute: 60000\n"
        "  timeout_seconds: 10\n  max_retries: 1\n"
        f"forum:\n  base_url: {CLOSED}\n  timeout_seconds: 1\n  max_retries: 0\n",
    )
    tables, figures, html = _outputs(wf)
    assert tables == [
        "results/hub/card_history.parquet",
        "results/hub/models.parquet",
        "results/hub/quarantine.parquet",
        "results/stats/card_share_trend.parquet",
        "results/stats/claims.csv",
        "results/stats/claims.parquet",
        "results/tables/card_share_trend.csv",
        "results/tables/claims.csv",
        "results/trends/card_share_monthly.parquet",
        "results/trends/hub_model_types_monthly.parquet",
    ]
    # the claims a Hub-only study cannot test stay in the table, not evaluated, with the reason
    assert _not_evaluated(wf) == {
        "rq1_top_challenge": f"{NOT_EVALUATED}: {NOT_CODED}",
        "rq2_top_benefit": f"{NOT_EVALUATED}: {NOT_CODED}",
        "rq3_correlation": f"{NOT_EVALUATED}: {NEEDS_BOTH}",
        "rq3_decline": f"{NOT_EVALUATED}: {NEEDS_BOTH}",
    }
    assert figures == ["card_share", "hub_model_types"]
    assert not (wf / "resources/raw/hub-only/forum").exists()  # the forum was never crawled
    assert f"The Hub snapshot holds {len(models):,} models" in html
    assert "This study crawled the Hub only" in html
    assert "the forum half (crawl.halves: forum) would add" in html
    assert "<h4>resources/raw/hub-only/hub/manifest.json</h4>" in html


@pytest.mark.workflow
def test_a_forum_only_live_run_builds_the_forum_half_and_says_what_the_hub_adds(
    forum_server, tmp_path
):
    from forum_stub import DiscourseSite, StubServer

    forum = StubServer(forum_server, DiscourseSite())
    wf = copy_workflow(tmp_path / "wf")
    _run_live(
        wf,
        "source: live\nsnapshot: forum-only\ncrawl:\n  halves: [forum]\n"
        f"hub:\n  endpoint: {CLOSED}\n  timeout_seconds: 1\n  max_retries: 0\n"
        f"forum:\n  base_url: {forum.url}\n"
        "  requests_per_minute: 6000\n  timeout_seconds: 10\n  max_retries: 1\n",
    )
    tables, figures, html = _outputs(wf)
    assert [t for t in tables if not t.startswith("results/coding/sheets/")] == [
        "results/coding/sample.parquet",
        "results/coding/sample_design.parquet",
        "results/forum/accepted_answers.parquet",
        "results/forum/categories.parquet",
        "results/forum/posts.parquet",
        "results/forum/posts_per_topic.parquet",
        "results/forum/quarantine.parquet",
        "results/forum/site.parquet",
        "results/forum/summary.parquet",
        "results/forum/topics.parquet",
        "results/forum/topics_per_category_monthly.parquet",
        "results/stats/claims.csv",
        "results/stats/claims.parquet",
        "results/tables/claims.csv",
    ]
    assert set(_not_evaluated(wf)) == {  # every claim: no coded topics, no Hub half
        "rq1_top_challenge", "rq2_top_benefit", "rq3_correlation", "rq3_decline", "rq3_card_share"
    }  # fmt: skip
    assert figures == [
        "accepted_answers",
        "beginners_vs_intermediate",
        "posts_per_topic",
        "topics_per_category",
    ]
    assert not (wf / "resources/raw/forum-only/hub").exists()  # the Hub was never crawled
    # the stub does not answer /site/basic-info.json: the forum is named by its host
    assert f"(it does not publish a title) holds {len(forum.site.entries):,} topics" in html
    assert "This study crawled the forum only" in html
    assert "the Hub half (crawl.halves: hub) would add" in html
