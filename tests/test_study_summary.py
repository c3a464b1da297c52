"""The study summary (rule summarize_study, hfreuse.report.study_summary) and its presentation
(hfreuse.report.summary) on small hand-made tables."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hfreuse.errors import InputError
from hfreuse.report import study_summary as ss
from hfreuse.report.summary import format_fact, summary_topics
from report_support import EVIL, make_synthetic_run

CARD = ss.CARD_SHARE
MONTHLY = ss.MONTHLY


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
    table = ss.summarize_study(run["tables"], alpha=0.05, top_n=3)
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
        "The Hub snapshot holds 4 models, created from 2022-03-02 to 2024-05-01.",
        "3 of them (75.0%) declare a model type (config.model_type); 2 (50.0%) have card data "
        "(the YAML header of the model card).",
        "1 models (25.0%) carry the Hub's createdAt floor (2022-03-02T23:29:04Z): their true "
        "creation month is earlier and unknown here.",
    )
    assert got["Model types on the Hub"] == (
        "Models created per model type from 2023-01 to 2023-02: 2 model types; the 2 largest are "
        "bert (8), gpt2 (3).",
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
    assert got["Reproduction of the paper's claims"][0] == (
        "2 of 3 claims of the paper hold in this run."
    )
    assert got["Reproduction of the paper's claims"][1] == (
        f"Claim 1: \u201cForum mentions and hub uploads correlate {EVIL}.\u201d Paper: 0.70. "
        "This run: 0.68. "
        "Criterion: rho >= 0.6. Holds: yes."
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
        "Share of new models with card data over time over 38 months (2022-04 to 2025-05): "
        "Mann-Kendall tau = -0.0128, p = 0.92, Sen slope -4e-05 per month; increase: no.",
        "Before vs from 2022-12 (Mann-Whitney): median monthly share 0.493 (8 months) vs 0.505 "
        "(30 months), p = 0.12; increase: no.",
    )


def test_the_table_has_fixed_columns_and_is_deterministic(run, tmp_path):
    table = ss.summarize_study(run["tables"], alpha=0.05, top_n=3)
    assert {c: str(t) for c, t in table.dtypes.items()} == ss.COLUMNS
    assert list(table["order"]) == list(range(1, len(table) + 1))
    assert not table.duplicated(["section", "key"]).any()
    assert set(table["kind"]) <= set(ss.KINDS)
    facts = table[table["kind"] != ss.SENTENCE]
    numbers = facts["kind"].isin(ss.NUMBER_KINDS)
    assert facts.loc[numbers, "label"].isna().all()
    assert facts.loc[~numbers, "value"].isna().all()
    row = table[(table["section"] == "hub") & (table["key"] == "share_typed")].iloc[0]
    assert (row["kind"], row["value"], row["source"]) == ("share", 0.75, ss.HUB_MODELS)
    # a sentence's source: the tables of its facts
    forum = table[(table["section"] == "forum") & (table["kind"] == ss.SENTENCE)].iloc[0]
    assert forum["source"] == f"{ss.TOPICS}, {ss.TOPICS_PER_CATEGORY}"
    a, b = tmp_path / "a.parquet", tmp_path / "b.parquet"
    import summarize_study as script

    script.main(run["tables"], str(a), alpha=0.05, top_n=3)
    script.main(list(reversed(run["tables"])), str(b), alpha=0.05, top_n=3)
    assert a.read_bytes() == b.read_bytes()


def test_alpha_from_the_config_decides_what_is_significant(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(MONTHLY, monthly_table())
    loose = ss.summarize_study([MONTHLY], alpha=0.05, top_n=5)
    strict = ss.summarize_study([MONTHLY], alpha=0.02, top_n=5)

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
    table = ss.summarize_study([CARD], alpha=0.05, top_n=5)
    assert set(table["section"]) == {"cards"}
    assert set(table["source"]) == {CARD}
    empty = ss.summarize_study([], alpha=0.05, top_n=5)
    assert empty.empty and {c: str(t) for c, t in empty.dtypes.items()} == ss.COLUMNS
    assert sentences(empty, tmp_path) == {}


def test_a_table_without_its_columns_is_an_error_naming_file_and_column(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(CARD, card_table().drop(columns="models_with_card_data"))
    with pytest.raises(InputError, match=rf"{CARD}: expected column\(s\) models_with_card_data"):
        ss.summarize_study([CARD], alpha=0.05, top_n=5)


def test_unexpected_values_of_known_columns_are_errors(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(ss.FORUM_SUMMARY, pd.DataFrame({"metric": ["topics", "mystery"], "value": [1.0, 2.0]}))
    with pytest.raises(InputError, match=r"summary.parquet, column metric: .*mystery"):
        ss.summarize_study([ss.FORUM_SUMMARY], alpha=0.05, top_n=5)


def test_top_n_from_the_config_sets_the_length_of_top_lists(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    mentions = pd.DataFrame(
        {"model_type": ["a", "b", "c", "d"], "month": ["2023-01"] * 4, "topics": [4, 3, 2, 0]}
    )
    write(ss.MENTIONS, mentions)
    (said,) = sentences(ss.summarize_study([ss.MENTIONS], 0.05, top_n=2), tmp_path).values()
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
    table = ss.summarize_study([CARD], alpha=0.05, top_n=5)
    bad = tmp_path / "bad.parquet"
    table.drop(columns="label").to_parquet(bad)
    with pytest.raises(InputError, match=r"bad\.parquet: expected column\(s\) label"):
        summary_topics(str(bad))
    table.loc[table["key"] == "models", "key"] = "renamed"
    table.to_parquet(bad)
    with pytest.raises(InputError, match=r"section cards: a sentence names no fact 'models'"):
        summary_topics(str(bad))
