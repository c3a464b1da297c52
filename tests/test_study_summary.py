"""The study summary (rule summarize_study, hfreuse.report.study_summary) and its presentation
(hfreuse.report.summary) on small hand-made tables."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hfreuse.errors import InputError
from hfreuse.report import study_summary as ss
from hfreuse.report.summary import format_fact, summary_topics
from hfreuse.rq3.paper import RQ1_RQ2_NOTE
from report_support import EVIL, make_synthetic_run, table_names

CARD = "results/trends/card_share_monthly.parquet"
MONTHLY = "results/stats/monthly_correlation.parquet"
HUB_MODELS = "results/hub/models.parquet"
TOPICS = "results/forum/topics.parquet"
TOPICS_PER_CATEGORY = "results/forum/topics_per_category_monthly.parquet"
FORUM_SUMMARY = "results/forum/summary.parquet"
MENTIONS = "results/trends/forum_model_mentions_monthly.parquet"


def summarize(paths, alpha=0.05, top_n=5, rank_by="hub"):
    """The summary of the tables at ``paths`` (named by their table ids, as the rule does)."""
    names = table_names()
    return ss.summarize_study({names[p]: p for p in paths if p in names}, alpha, top_n, rank_by)


def write(path: str, df: pd.DataFrame) -> str:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    df.to_parquet(path, index=False)
    return path


def sentences(table: pd.DataFrame, tmp_path: Path) -> dict[str, tuple[str, ...]]:
    """Heading -> sentences, as the report shows them."""
    path = tmp_path / "summary.parquet"
    table.to_parquet(path, index=False)
    return {t.title: t.sentences for t in summary_topics(str(path))}


def card_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "month": ["2022-12", "2023-01", "2023-02"],
            "models": [4, 6, 10],
            "models_with_card_data": [1, 3, 5],
            "share": [0.25, 0.5, 0.5],
            "partial_month": [False, False, True],
        }
    )


def monthly_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "model_type": ["bert", "gpt2", "llama", "t5"],
            "rho": [-0.5, -0.1, 0.9, 0.4],
            "p_adjusted": [0.01, 0.5, 0.001, 0.03],
        }
    )


@pytest.fixture
def run(tmp_path, monkeypatch):
    kwargs = make_synthetic_run(tmp_path / "run")
    monkeypatch.chdir(tmp_path / "run")
    return kwargs


def test_sentences_from_the_tables(run, tmp_path):
    table = summarize(run["tables"], alpha=0.05, top_n=3)
    got = sentences(table, tmp_path)
    assert list(got) == [
        "Reproduction of the paper's claims",
        "Hub",
        "Model types on the Hub",
        "Documentation: card data",
        "Forum",
        "Headline numbers of the forum",
        "Taxonomy of challenges and benefits",
        "Root causes of accepted answers",
        "Agreement between coders",
        "RQ3: forum mentions vs hub uploads",
        "RQ3: documentation trend",
    ]
    assert got["Hub"] == (
        "The Hub snapshot holds 4 models, created from 2022-03-02 to 2024-05-01 (createdAt).",
        "3 of them (75.0%) declare a model type (config.model_type); 2 (50.0%) have card data "
        "(the YAML header of the model card).",
        "1 models (25.0%) carry the Hub's createdAt floor (2022-03-02T23:29:04Z); 0 of them are "
        "dated by their first commit, 1 could not be and keep the floor, their true creation "
        "month unknown (repository gone (deleted or private): 1).",
    )
    assert got["Model types on the Hub"] == (
        "Models created per model type from 2023-01 to 2023-02: 2 model types.",
        "The last month (2023-02) is partial: the snapshot ends within it.",
    )
    assert got["Documentation: card data"] == (
        "9 of 20 models (45.0%) created in the period have card data.",
        "Share with card data by creation year (full months only): 2022: 25.0% of 4; "
        "2023: 50.0% of 6.",
    )
    assert got["Forum"] == (
        "The forum snapshot holds 4 topics created from 2021-01-01 to 2021-04-01, in 3 "
        f"categories; the largest are Beginners (2), {EVIL} (1), Models (1).",
    )
    assert got["Headline numbers of the forum"] == (
        "Forum (results/forum/summary.parquet): topics: 4; share of topics without reply: 33.3%; "
        "mean posts per topic: 1.75; authors: n/a.",
    )
    assert got["Reproduction of the paper's claims"][0] == RQ1_RQ2_NOTE
    assert got["Reproduction of the paper's claims"][1] == (
        "1 of 3 claims of the paper are supported in this run."
    )
    assert got["Reproduction of the paper's claims"][2] == (
        f"Claim 1: \u201cForum mentions and hub uploads correlate {EVIL}.\u201d Paper: 0.70. "
        "Scope: major. Test: Spearman. This run: 0.68; p = 0.001. "
        "Criterion: rho >= 0.6. Verdict: supported."
    )
    assert got["Taxonomy of challenges and benefits"] == (
        "Benefits: 1 categories, 5 coded instances; the most frequent are Expert Opinion "
        "(5, 100.0%) (results/coding/taxonomy_counts.parquet).",
        "Challenges: 3 categories, 12 coded instances; the most frequent are Model Usage "
        "(6, 50.0%), Memory (3, 25.0%), Training (3, 25.0%) "
        "(results/coding/taxonomy_counts.parquet).",
    )
    assert got["Root causes of accepted answers"] == (
        "Root causes of 8 coded accepted answers, by group: user-related (7, 87.5%), "
        "HF-related (1, 12.5%) (results/coding/root_cause_counts.parquet).",
    )
    assert got["Agreement between coders"] == (
        "Challenges, category level: Cohen's kappa (ann & bob) 0.712; Krippendorff's alpha 0.7, "
        "over 40 double-coded topics.",
    )
    assert got["RQ3: forum mentions vs hub uploads"] == (
        "Total forum topics vs total hub uploads per model type (all models, months 2022-04 to "
        "2025-05): Spearman rho = 0.61, p = 0.0004, n = 33 model types.",
        "Total forum topics vs total hub uploads per model type (major models, months 2022-04 to "
        "2025-05): Spearman rho = 0.72, p = 0.00031, n = 20 model types.",
        "Month by month, per model type (4 types): forum topics and hub uploads move together for "
        "2 (llama, t5) and in opposite directions for 1 (bert) (Spearman, Benjamini-Hochberg "
        "adjusted p < 0.05).",
        "Trend over time of forum counts per model type: declining 1, no trend 1, rising 1.",
        "Trend over time of hub counts per model type: declining 0, no trend 0, rising 3.",
        "1 model types have declining forum discussion but rising hub uploads: bert.",
    )
    assert got["RQ3: documentation trend"] == (
        "Share of new models with card data over time over 38 months (2022-04 to 2025-05; 3 "
        "months with fewer than 30 models left out): Mann-Kendall tau = -0.0128, p = 0.92, Sen "
        "slope -4e-05 per month; increase: no significant increase.",
        "Before vs from 2022-12 (Mann-Whitney): median monthly share 0.493 (8 months) vs 0.505 "
        "(30 months), p = 0.12; increase: no significant increase.",
    )


def test_the_table_has_fixed_columns_and_is_deterministic(run, tmp_path):
    table = summarize(run["tables"], alpha=0.05, top_n=3)
    assert {c: str(t) for c, t in table.dtypes.items()} == ss.COLUMNS
    assert list(table["order"]) == list(range(1, len(table) + 1))
    assert not table.duplicated(["section", "key"]).any()
    assert set(table["kind"]) <= set(ss.KINDS)
    facts = table[table["kind"] != ss.SENTENCE]
    numbers = facts["kind"].isin(ss.NUMBER_KINDS)
    assert facts.loc[numbers, "label"].isna().all()
    assert facts.loc[~numbers, "value"].isna().all()
    row = table[(table["section"] == "hub") & (table["key"] == "share_typed")].iloc[0]
    assert (row["kind"], row["value"], row["source"]) == ("share", 0.75, HUB_MODELS)
    # a sentence's source: the tables of its facts
    forum = table[(table["section"] == "forum") & (table["kind"] == ss.SENTENCE)].iloc[0]
    assert forum["source"] == f"{TOPICS}, {TOPICS_PER_CATEGORY}"
    a, b = tmp_path / "a.parquet", tmp_path / "b.parquet"
    import summarize_study as script

    names = table_names()
    script.main(run["tables"], str(a), alpha=0.05, top_n=3, table_names=names)
    script.main(list(reversed(run["tables"])), str(b), alpha=0.05, top_n=3, table_names=names)
    assert a.read_bytes() == b.read_bytes()


def test_alpha_from_the_config_decides_what_is_significant(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(MONTHLY, monthly_table())
    loose = summarize([MONTHLY], alpha=0.05, top_n=5)
    strict = summarize([MONTHLY], alpha=0.02, top_n=5)

    def value(table, key):
        return table.loc[table["key"] == key, "value"].iloc[0]

    assert (value(loose, "monthly_together"), value(loose, "monthly_opposite")) == (2, 1)
    assert (value(strict, "monthly_together"), value(strict, "monthly_opposite")) == (1, 1)
    assert value(strict, "alpha") == 0.02
    assert strict.loc[strict["key"] == "alpha", "source"].iloc[0] == "config: stats.alpha"
    (said,) = sentences(strict, tmp_path)["RQ3: forum mentions vs hub uploads"]
    assert "move together for 1 (llama) and in opposite directions for 1 (bert)" in said
    assert "adjusted p < 0.02" in said


def test_a_table_the_source_does_not_produce_gives_no_rows(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(CARD, card_table())
    table = summarize([CARD], alpha=0.05, top_n=5)
    assert set(table["section"]) == {"cards"}
    assert set(table["source"]) == {CARD}
    empty = summarize([], alpha=0.05, top_n=5)
    assert empty.empty and {c: str(t) for c, t in empty.dtypes.items()} == ss.COLUMNS
    assert sentences(empty, tmp_path) == {}


def test_a_table_without_its_columns_is_an_error_naming_file_and_column(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(CARD, card_table().drop(columns="models_with_card_data"))
    with pytest.raises(InputError, match=rf"{CARD}: expected column\(s\) models_with_card_data"):
        summarize([CARD], alpha=0.05, top_n=5)


def test_unexpected_values_of_known_columns_are_errors(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(FORUM_SUMMARY, pd.DataFrame({"metric": ["topics", "mystery"], "value": [1.0, 2.0]}))
    with pytest.raises(InputError, match=r"summary.parquet, column metric: .*mystery"):
        summarize([FORUM_SUMMARY], alpha=0.05, top_n=5)


def test_top_n_from_the_config_sets_the_length_of_top_lists(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    mentions = pd.DataFrame(
        {"model_type": ["a", "b", "c", "d"], "month": ["2023-01"] * 4, "topics": [4, 3, 2, 0]}
    )
    write(MENTIONS, mentions)
    (said,) = sentences(summarize([MENTIONS], 0.05, top_n=2), tmp_path).values()
    assert said == (
        "Forum topics mention 3 model types; the most discussed are a (4), b (3) "
        "(topics that mention them).",
    )


# --- presentation ---


def test_format_fact_by_kind():
    assert format_fact("count", 12345.0, None) == "12,345"
    assert format_fact("share", 0.3333, None) == "33.3%"
    assert format_fact("p", 5.7e-15, None) == "5.7e-15"
    assert format_fact("rho", 0.93412, None) == "0.934"
    assert format_fact("slope", 0.000223, None) == "0.000223"
    assert format_fact("number", 2.0, None) == "2"
    assert format_fact("share", None, None) == "n/a"
    assert format_fact("share", float("nan"), None) == "n/a"
    assert format_fact("month", None, "2023-01") == "2023-01"
    assert format_fact("name", None, None) == "n/a"


def test_presenting_a_table_with_a_missing_column_or_fact_is_an_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(CARD, card_table())
    table = summarize([CARD], alpha=0.05, top_n=5)
    bad = tmp_path / "bad.parquet"
    table.drop(columns="label").to_parquet(bad)
    with pytest.raises(InputError, match=r"bad\.parquet: expected column\(s\) label"):
        summary_topics(str(bad))
    table.loc[table["key"] == "models", "key"] = "renamed"
    table.to_parquet(bad)
    with pytest.raises(InputError, match=r"section cards: a sentence names no fact 'models'"):
        summary_topics(str(bad))


def test_floored_models_dated_by_their_first_commit_are_not_called_unknown(tmp_path, monkeypatch):
    """The Overview follows the models table: floored models that the first commits dated are
    said to be dated (the true-date section dates them), only the others are unknown."""
    monkeypatch.chdir(tmp_path)
    floor = pd.Timestamp("2022-03-02T23:29:04Z")
    models = pd.DataFrame(
        {
            "model_type": ["bert", "gpt2", None],
            "has_card_data": [True, False, False],
            "created_at": [floor, floor, pd.Timestamp("2023-01-01T00:00:00Z")],
            "created_at_floored": [True, True, False],
            "created_at_source": ["first_commit", "first_commit", "api"],
            "created_at_reason": [None, None, None],
        }
    )
    write(HUB_MODELS, models)
    said = sentences(summarize([HUB_MODELS]), tmp_path)["Hub"]
    assert said[-1] == (
        "2 models (66.7%) carry the Hub's createdAt floor (2022-03-02T23:29:04Z); 2 of them are "
        "dated by their first commit."
    )
    assert not any("unknown" in x for x in said)


@pytest.mark.parametrize("rank_by", ["hub", "forum"])
def test_the_text_names_the_model_types_the_figures_show(tmp_path, monkeypatch, rank_by):
    """One selection rule feeds the RQ3 figures and the text: the text's model types are
    hfreuse.charts.shown_model_types of the totals table, with the rule and the months."""
    from hfreuse.charts import shown_model_types

    monkeypatch.chdir(tmp_path)
    totals = pd.DataFrame(
        {
            "model_type": ["bert", "gpt2", "llama", "t5", "vit"],
            "hub_models": [50, 40, 900, 10, 5],
            "forum_topics": [30, 60, 2, 8, 0],
        }
    )
    # the monthly table ranks differently (all months, floored ones included): not the rule
    monthly = pd.DataFrame(
        {
            "model_type": ["bert", "gpt2", "llama", "t5", "vit"],
            "month": ["2022-03"] * 5,
            "models": [5000, 40, 900, 10, 3000],
            "partial_month": [False] * 5,
        }
    )
    corr = pd.DataFrame(
        {
            "scope": ["all", "major"],
            "n_models": [5, 3],
            "rho": [0.5, 0.4],
            "p_value": [0.2, 0.3],
            "first_month": ["2022-04"] * 2,
            "last_month": ["2024-01"] * 2,
        }
    )
    paths = [
        write("results/stats/model_totals.parquet", totals),
        write("results/trends/hub_model_types_monthly.parquet", monthly),
        write("results/stats/totals_correlation.parquet", corr),
    ]
    said = sentences(summarize(paths, top_n=3, rank_by=rank_by), tmp_path)
    (types_said,) = [x for x in said["Model types on the Hub"] if "RQ3 figures" in x]
    shown = shown_model_types(totals, 3, rank_by)
    assert shown == (["llama", "bert", "gpt2"] if rank_by == "hub" else ["gpt2", "bert", "t5"])
    count = {"hub": "hub_models", "forum": "forum_topics"}[rank_by]
    listed = ", ".join(f"{t} ({totals.set_index('model_type').loc[t, count]})" for t in shown)
    rule = {"hub": "Hub models created", "forum": "forum topics mentioning them"}[rank_by]
    assert types_said == (
        f"The model types of the RQ3 figures: the 3 with the most {rule} over the months both "
        f"series share, 2022-04 to 2024-01 (config figures.model_types_by: {rank_by}): {listed}."
    )
