"""Captions are source-specific (issue 19 item 6): no floor, partial-month or matcher text where
the source has none, and no paper text in a demo or live report."""

from __future__ import annotations

import re

import pytest
import yaml
from conftest import ROOT
from hfreuse.report.html import rst_to_html

CAPTIONS = ROOT / "workflow" / "report" / "captions"
SOURCES = ("demo", "live", "paper")
CODING = ("challenges_sunburst", "challenges_bar", "benefits_sunburst", "benefits_bar",
          "root_causes_sunburst", "root_causes_by_challenge")  # fmt: skip


def render(name: str, source: str) -> str:
    """The caption as the study report shows it (Jinja with snakemake.config, then docutils),
    as plain text."""
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    config["source"] = source
    path = CAPTIONS / f"{name}.rst"
    html = rst_to_html(path.read_text(), str(path), {"snakemake": {"config": config}})
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.mark.parametrize("source", SOURCES)
def test_every_caption_renders_for_every_source(source):
    for path in sorted(CAPTIONS.glob("*.rst")):
        assert render(path.stem, source).strip(), path.name


def test_paper_captions_have_no_floor_partial_or_matcher_text():
    for name in ("card_share", "hub_model_types", "forum_vs_hub", "forum_mentions"):
        text = render(name, "paper").lower()
        assert "floor" not in text.replace("no createdat floor", ""), name
    card = render("card_share", "paper")
    assert "partial" not in card and "2022-03" not in card  # the package's card table has neither
    mentions = render("forum_mentions", "paper")
    assert "alias" not in mentions and "case-insensitively" not in mentions
    assert "authors' own counts" in mentions and "did not run" in mentions
    assert "partial" in render("hub_model_types", "paper")  # the package's 2023-06 is partial
    for name in CODING:
        text = render(name, "paper")
        assert "Paper:" in text and "primary coders" not in text, name


@pytest.mark.parametrize("source", ["demo", "live"])
def test_demo_and_live_captions_say_nothing_of_the_paper_source(source):
    for name in (*CODING, "card_share", "hub_model_types", "forum_mentions", "forum_vs_hub"):
        text = render(name, source)
        assert "Paper:" not in text and "replication package" not in text, (source, name)
        assert "reproduction.csv" not in text, (source, name)
    assert "createdAt floor" in render("card_share", source)
    assert "floors createdAt" in render("hub_model_types", source)
    assert "floored Hub creation dates" in render("forum_vs_hub", source)
    assert "mentions.aliases" in render("forum_mentions", source)
    assert "primary coders" in render("challenges_bar", source)
