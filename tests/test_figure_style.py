"""One visual identity and two figure styles: fixed colours, the RQ3 model types chosen once,
sunburst labels never cut, and the report/paper styles of the saved files."""

from __future__ import annotations

import json
import struct

import altair as alt
import pandas as pd
import pytest
from hfreuse import palette
from hfreuse.charts import PAPER, SYNTHETIC_NOTE, caption_text, save_chart, styled
from hfreuse.coding.charts import LABEL_FONT, LINE_HEIGHT, outer_label, sunburst_frame, wrap
from hfreuse.figures import builder_args, figure_paths
from hfreuse.hub.charts import build_hub_model_types
from hfreuse.rq3.charts import build_forum_mentions, build_forum_vs_hub

# --- colours ---


def test_known_names_have_their_committed_colour_and_others_a_stable_hashed_one():
    assert palette.color("bert", "model_type") == palette.MODEL_TYPES["bert"]
    assert (
        palette.color("HF-related", "root_cause_group") == palette.ROOT_CAUSE_GROUPS["HF-related"]
    )
    unknown = palette.color("brand-new-type", "model_type")
    assert unknown == palette.color("brand-new-type", "model_type")  # same on every call
    assert unknown == palette.hashed("model_type:brand new type")  # hashed by its name_key
    assert unknown != palette.color("another-new-type", "model_type")
    assert len(set(palette.colors(["a", "b", "c", "d"], "model_type"))) == 4
    # the colour depends on the name, not on which other names a figure shows
    assert palette.scale(["t5", "bert"], "model_type").to_dict()["range"] == [
        palette.color("t5", "model_type"),
        palette.color("bert", "model_type"),
    ]


def test_no_two_known_names_of_a_figure_share_a_colour():
    expert = {"Expert Opinion and Solutions", "Expert Opinion and Clarification"}
    for family, known in palette.FAMILIES.items():
        names: dict[str, set[str]] = {}
        for name, colour in known.items():
            names.setdefault(colour, set()).add(name)
        # only two spellings of one name share a colour
        shared = [n for n in names.values() if len(n) > 1]
        assert shared == ([expert] if family == "benefit" else []), family
    challenges = list(palette.CHALLENGES)
    assert len(set(palette.colors(challenges, "challenge"))) == 17


def _rq3_tables():
    """Monthly tables where the forum's own top 2 (t5, roberta) differ from the Hub's (bert,
    gpt2): the line charts must still show the same model types."""
    months = ["2023-01", "2023-02"]
    hub = pd.DataFrame(
        [
            (t, m, n, 0, False)
            for t, n in [("bert", 50), ("gpt2", 40), ("t5", 2), ("roberta", 1)]
            for m in months
        ],
        columns=["model_type", "month", "models", "models_floored", "partial_month"],
    )
    forum = pd.DataFrame(
        [
            (t, m, n, False)
            for t, n in [("bert", 1), ("gpt2", 2), ("t5", 9), ("roberta", 8)]
            for m in months
        ],
        columns=["model_type", "month", "topics", "partial_month"],
    )
    totals = pd.DataFrame(
        {
            "model_type": ["bert", "gpt2", "t5", "roberta"],
            "hub_models": [100, 80, 4, 2],
            "forum_topics": [2, 4, 18, 16],
            "in_correlation": True,
        }
    )
    corr = pd.DataFrame({"scope": ["all"], "n_models": [4], "rho": [0.1], "p_value": [0.9]})
    corr = corr.assign(first_month="2023-01", last_month="2023-02")
    return hub, forum, totals, corr


def _colour_scale(spec):
    def walk(node):
        if isinstance(node, dict):
            color = node.get("color")
            if isinstance(color, dict) and "scale" in color and "domain" in color["scale"]:
                yield color["scale"]
            for v in node.values():
                yield from walk(v)
        elif isinstance(node, list):
            for v in node:
                yield from walk(v)

    return next(walk(spec))


@pytest.mark.parametrize("rank_by", ["hub", "forum"])
def test_rq3_figures_show_the_same_model_types_in_the_same_colours(rank_by):
    hub, forum, totals, corr = _rq3_tables()
    specs = {
        "hub": build_hub_model_types(hub, totals, rank_by, top_n=2).to_dict(),
        "forum": build_forum_mentions(forum, totals, rank_by, top_n=2).to_dict(),
        "scatter": build_forum_vs_hub(totals, corr, rank_by, top_n=2).to_dict(),
    }
    want = ["bert", "gpt2"] if rank_by == "hub" else ["t5", "roberta"]
    hub_scale, forum_scale = _colour_scale(specs["hub"]), _colour_scale(specs["forum"])
    assert hub_scale["domain"] == forum_scale["domain"] == want
    assert hub_scale["range"] == forum_scale["range"] == palette.colors(want, "model_type")
    scatter = _colour_scale(specs["scatter"])
    mapping = dict(zip(scatter["domain"], scatter["range"], strict=True))
    assert {n: mapping[n] for n in want} == dict(zip(want, hub_scale["range"], strict=True))


# --- sunburst labels ---


def test_sunburst_labels_wrap_and_are_never_cut():
    long = "Missing or unclear documentation of the model's expected inputs"
    assert " ".join(wrap(long)) == long and all(len(line) <= 22 for line in wrap(long))
    inner = pd.DataFrame({"name": ["Docs"], "count": [10]})
    outer = pd.DataFrame({"parent": ["Docs", "Docs"], "name": [long, "Short"], "count": [6, 4]})
    arcs = sunburst_frame(inner, outer, 400)
    label = arcs.loc[arcs["name"] == long, "label"].iloc[0]
    assert label.replace("\n", " ") == f"{long} (6)" and "…" not in label


def test_sunburst_labels_of_thin_arcs_never_overprint():
    """A label gets as many lines as its arc has room for at the label radius: wrapped, else
    whole on one line, else none (the tooltip names the arc)."""
    text = "Missing or unclear documentation (7)"
    line = LINE_HEIGHT * LABEL_FONT / 200  # radians per line at radius 200
    assert outer_label(text, 3 * line, 200) == "\n".join(wrap(text))
    assert len(wrap(text)) == 2
    assert outer_label(text, 1.5 * line, 200) == text  # one line, whole
    assert outer_label(text, 0.5 * line, 200) == ""


# --- styles ---


def _figure() -> alt.LayerChart:
    df = pd.DataFrame({"model_type": ["bert", "gpt2"], "models": [3, 5]})
    chart = alt.Chart(df).mark_bar().encode(x="model_type:N", y="models:Q")
    return alt.layer(chart).properties(
        width=300,
        height=150,
        title=alt.TitleParams("Models", subtitle=[SYNTHETIC_NOTE, "Partial month: 2024-05"]),
    )


def _labels() -> alt.Chart:
    df = pd.DataFrame({"model_type": ["bert"], "models": [3]})
    return alt.Chart(df).mark_text(fontSize=10).encode(x="model_type:N", text="models:Q")


def _png_ppi(path) -> float:
    data = open(path, "rb").read()
    at = data.index(b"pHYs")
    x, _, unit = struct.unpack(">IIB", data[at + 4 : at + 13])
    assert unit == 1  # per metre
    return x * 0.0254


def test_report_style_keeps_the_notes_in_the_image(tmp_path):
    files = {k: str(tmp_path / f"f.{k}") for k in ("html", "svg", "png")}
    files["spec"] = str(tmp_path / "f.json")
    save_chart(_figure(), **files, style="report")
    spec = json.loads(open(files["spec"]).read())
    assert spec["title"]["subtitle"] == [SYNTHETIC_NOTE, "Partial month: 2024-05"]
    assert spec["usermeta"] == {
        "title": "Models",
        "notes": [SYNTHETIC_NOTE, "Partial month: 2024-05"],
        "style": "report",
    }
    assert round(_png_ppi(files["png"])) == 144
    svg = open(files["svg"]).read()
    assert "Partial month: 2024-05" in svg and ">Models<" in svg
    assert not (tmp_path / "f.pdf").exists()


def test_paper_style_moves_the_caveats_to_the_caption_and_writes_pdf_and_300_ppi(tmp_path):
    files = figure_paths("results/figures", "f", "paper")
    files = {k: str(tmp_path / v.split("/")[-1]) for k, v in files.items()}
    assert set(files) == {"html", "svg", "png", "spec", "pdf", "caption"}
    save_chart(_figure(), **files, style="paper")
    spec = json.loads(open(files["spec"]).read())
    assert "title" not in spec  # no title or caveat inside the image
    assert spec["config"]["font"] == PAPER["font"]
    text = styled(alt.layer(_figure(), _labels()).to_dict(), "paper")["layer"][1]
    assert text["mark"]["fontSize"] == PAPER["font_size"] - 1  # was 10: scaled to the paper
    svg = open(files["svg"]).read()
    assert "Partial month" not in svg and ">Models<" not in svg
    pdf = open(files["pdf"], "rb").read()
    assert pdf.startswith(b"%PDF") and b"/Image" not in pdf[:200]
    assert round(_png_ppi(files["png"])) == 300
    caption = open(files["caption"]).read()
    assert caption == f"Models\n- {SYNTHETIC_NOTE}\n- Partial month: 2024-05\n"
    assert caption_text(styled(_figure().to_dict(), "paper")) == caption
    with pytest.raises(ValueError, match="figure style"):
        styled({}, "poster")


def test_paper_style_uses_the_papers_size_whatever_the_config():
    entry = {
        "args": {},
        "config": {"width": "figures.width", "height": "figures.height", "top_n": "figures.top_n"},
        "source": {},
    }
    config = {"figures": {"width": 900, "height": 500, "top_n": 5, "style": "report"}}
    source = {"synthetic": False}
    assert builder_args(entry, config, source)["width"] == 900
    paper = {"figures": {**config["figures"], "style": "paper"}}
    args = builder_args(entry, paper, source)
    assert (args["width"], args["height"], args["top_n"]) == (PAPER["width"], PAPER["height"], 5)
