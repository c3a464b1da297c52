"""Figure HTML: the Vega-Lite spec is inlined so that no data value can close its <script>."""

from __future__ import annotations

import json
import re

import altair as alt
import pandas as pd
from hfreuse.charts import chart_html, script_json

HOSTILE = "</script><script>document.title='pwned'</script><!-- & \u2028"


def _chart(category: str) -> alt.Chart:
    df = pd.DataFrame({"model_type": [category, "bert"], "models": [3, 5]})
    return alt.Chart(df, title=category).mark_bar().encode(x="model_type:N", y="models:Q")


def test_a_hostile_category_cannot_close_the_script_and_the_spec_is_unchanged():
    spec = _chart(HOSTILE).to_dict()
    html = chart_html(spec)
    benign = chart_html(_chart("gpt2").to_dict())
    assert "</script><script>document.title" not in html
    assert html.lower().count("<script") == benign.lower().count("<script")
    assert html.lower().count("</script") == benign.lower().count("</script")
    inlined = re.search(r"const spec = (\{.*?\});\n", html, flags=re.S)
    assert inlined and json.loads(inlined.group(1)) == spec  # same data once parsed


def test_script_json_escapes_every_markup_character():
    text = script_json({"a": HOSTILE, "b": ["<", ">", "&"]})
    assert not set("<>&") & set(text)
    assert json.loads(text) == {"a": HOSTILE, "b": ["<", ">", "&"]}


def test_a_hostile_figure_page_in_a_real_browser_runs_no_injected_script(tmp_path, chromium):
    """Headless Chromium opens the figure's HTML: the chart is drawn with the hostile text as a
    label, and the injected script never ran (the title is untouched, no exception)."""
    from hfreuse.charts import save_chart

    files = {k: str(tmp_path / f"fig.{e}") for k, e in [("html", "html"), ("svg", "svg")]}
    files |= {"png": str(tmp_path / "fig.png"), "spec": str(tmp_path / "fig.json")}
    save_chart(_chart(HOSTILE), **files)
    probe = "({title: document.title, svg: !!document.querySelector('#vis svg, #vis canvas')})"
    visit = chromium.visit(tmp_path / "fig.html", probe, settle=2.0)
    assert visit.probe["title"] != "pwned" and visit.probe["svg"], visit.probe
    assert visit.exceptions == [] and visit.external_requests == []
