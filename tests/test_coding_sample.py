"""Coding sample: Cochran's sample size, the seeded draw, coder assignment, coding sheets."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from coding_support import draw, forum_tables, small_sample
from hfreuse.coding.sample import (
    allocate,
    assign_coders,
    cochran_n0,
    cochran_sample_size,
    excerpt,
    z_value,
)
from hfreuse.coding.sheets import (
    SHEET_COLUMNS,
    build_sheet,
    read_sheet,
    sheet_csv_bytes,
    sheet_xlsx_bytes,
    write_sheet_csv,
    write_sheet_xlsx,
)


def test_cochran_matches_hand_computation():
    # z(95 %) = 1.959964; n0 = z^2 * 0.25 / 0.045^2 = 3.841459 * 0.25 / 0.002025 = 474.254
    assert z_value(0.95) == pytest.approx(1.959964, abs=1e-6)
    assert cochran_n0(0.95, 0.045) == pytest.approx(474.254, abs=1e-3)
    # the study: N = 11,000 -> 474.254 / (1 + 473.254 / 11000) = 454.69 -> 455
    assert cochran_sample_size(11_000, 0.95, 0.045) == 455
    # the package's 11,175 topics: 474.254 / (1 + 473.254 / 11175) = 454.99 -> 455
    assert cochran_sample_size(11_175, 0.95, 0.045) == 455
    # textbook: N = 1000 at 95 % / 5 %: 384.146 / (1 + 383.146 / 1000) = 277.74 -> 278
    assert cochran_sample_size(1_000, 0.95, 0.05) == 278
    # p = 0.2 shrinks n0: 3.841459 * 0.16 / 0.0025 = 245.85; N = 500 -> 245.85 / 1.48971 = 165.03
    assert cochran_sample_size(500, 0.95, 0.05, proportion=0.2) == 166
    # a huge population tends to n0 (rounded up); a tiny one is taken whole at most
    assert cochran_sample_size(10**9, 0.95, 0.045) == math.ceil(474.254)
    assert cochran_sample_size(30, 0.95, 0.01) == 30
    assert cochran_sample_size(0, 0.95, 0.05) == 0


def test_allocation_is_proportional_with_largest_remainders():
    # 10 of 7/2/1: quotas 7.0, 2.0, 1.0 (exact); 5 of 7/2/1: 3.5, 1.0, 0.5 -> 3,1,0 + 1 to 'a'
    assert allocate({"a": 7, "b": 2, "c": 1}, 10) == {"a": 7, "b": 2, "c": 1}
    assert allocate({"a": 7, "b": 2, "c": 1}, 5) == {"a": 4, "b": 1, "c": 0}
    assert sum(allocate({"x": 33, "y": 33, "z": 34}, 50).values()) == 50


def test_coder_assignment_overlap_and_rotation():
    assigned, n_double = assign_coders(10, ["a", "b"], 0.2)
    assert n_double == 2
    assert assigned[:2] == [["a", "b"], ["b", "a"]]
    assert assigned[2:] == [["a"], ["b"]] * 4
    three, n3 = assign_coders(7, ["a", "b", "c"], 0.5)  # round(3.5) -> 4 double-coded
    assert n3 == 4 and three[:4] == [["a", "b"], ["a", "c"], ["b", "c"], ["b", "a"]]
    one, n1 = assign_coders(3, ["solo"], 0.5)
    assert n1 == 0 and one == [["solo"]] * 3


#: this module's sample: Cochran's size at a 10% margin, two coders a and b, short excerpts
SETTINGS = {"seed": 3, "sample_size": None, "margin": 0.1, "coders": ["a", "b"], "overlap": 0.2}
URL = "https://f.example/t/{slug}/{topic_id}"


def _draw(topics, posts, **kw):
    return draw(topics, posts, **{**SETTINGS, "excerpt_chars": 50, "url_template": URL, **kw})


def test_draw_sample_size_seed_and_contents():
    topics, posts = forum_tables(200, pinned=5)
    sample, design = _draw(topics, posts)
    # population 195 (5 pinned left out); n0 = 3.841459 * 0.25 / 0.01 = 96.04;
    # 96.04 / (1 + 95.04 / 195) = 64.56 -> 65
    assert design.population == 195 and design.sample_size == 65 == len(sample)
    assert design.method == "cochran"
    assert not sample["topic_id"].isin(topics.loc[topics["pinned"], "topic_id"]).any()
    assert sample["topic_id"].is_unique
    assert design.double_coded == 13 == int(sample["double_coded"].sum())
    assert sorted(sample["sample_order"]) == list(range(1, 66))
    first = sample.iloc[0]
    assert (
        first["url"]
        == f"https://f.example/t/{topics.set_index('topic_id').loc[first['topic_id'], 'slug']}/{first['topic_id']}"
    )
    assert first["excerpt"].startswith(f"Post 1 of topic {first['topic_id']}.")
    assert first["excerpt"].endswith(" …") and len(first["excerpt"]) <= 52
    again, _ = _draw(topics.sample(frac=1, random_state=5), posts)
    pd.testing.assert_frame_equal(sample, again)  # same seed, shuffled input: same sample
    other, _ = _draw(topics, posts, seed=4)
    assert set(other["topic_id"]) != set(sample["topic_id"])
    fixed, d2 = _draw(topics, posts, sample_size=20)
    assert len(fixed) == 20 and d2.method == "fixed"


def test_stratified_draw_follows_category_shares():
    topics, posts = forum_tables(200, pinned=0)
    sample, design = _draw(topics, posts, sample_size=50, stratify_by_category=True)
    assert design.stratified
    # 5 categories of 40 topics each: 10 per category
    assert sample["forum_category"].value_counts().to_dict() == {
        c: 10 for c in ["Beginners", "Transformers", "Datasets", "Spaces", "Models"]
    }
    assert (sample["stratum"] == sample["forum_category"]).all()


def test_excerpt_cuts_at_a_word():
    assert excerpt("  one two\nthree  ", 100) == "one two three"
    assert excerpt("alpha beta gamma", 11) == "alpha beta …"
    assert excerpt(None, 10) == ""


def test_sheets_roundtrip_csv_and_xlsx(tmp_path):
    sample = small_sample()
    sheet = build_sheet(sample, "ann")
    assert list(sheet.columns) == SHEET_COLUMNS
    mine = sample[sample["coders"].map(lambda c: "ann" in c)]
    assert sorted(sheet["topic_id"].astype(int)) == sorted(mine["topic_id"])
    assert (sheet[["code", "kind", "category", "subcategory", "notes"]] == "").all().all()
    write_sheet_csv(sheet, tmp_path / "ann.csv")
    write_sheet_xlsx(sheet, "ann", tmp_path / "ann.xlsx")
    for name in ("ann.csv", "ann.xlsx"):
        header, rows = read_sheet(tmp_path / name)
        assert header == SHEET_COLUMNS
        assert [n for n, _ in rows] == list(range(2, len(sheet) + 2))
        assert [r["topic_id"] for _, r in rows] == list(sheet["topic_id"])
        assert [r["excerpt"] for _, r in rows] == list(sheet["excerpt"])


def test_sheets_are_byte_reproducible():
    sheet = build_sheet(small_sample(), "bob")
    assert sheet_csv_bytes(sheet) == sheet_csv_bytes(sheet.copy())
    assert sheet_xlsx_bytes(sheet, "bob") == sheet_xlsx_bytes(sheet.copy(), "bob")


#: Cells a spreadsheet program would run as a formula (OWASP CSV injection).
HOSTILE = [
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("http://evil.example","click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def test_hostile_titles_are_text_not_formulas(tmp_path):
    """A title or excerpt that looks like a formula is stored as text: XLSX cells are strings,
    CSV cells get the documented leading single quote, and reading the sheet removes it."""
    import csv

    from openpyxl import load_workbook

    sheet = build_sheet(small_sample(), "ann")
    n = len(HOSTILE)
    sheet.loc[: n - 1, "title"] = HOSTILE
    sheet.loc[: n - 1, "excerpt"] = HOSTILE[::-1]
    write_sheet_csv(sheet, tmp_path / "ann.csv")
    write_sheet_xlsx(sheet, "ann", tmp_path / "ann.xlsx")
    with open(tmp_path / "ann.csv", encoding="utf-8-sig", newline="") as fh:
        records = list(csv.reader(fh))
    title = SHEET_COLUMNS.index("title")
    # the documented quote prefix; a bare carriage return is written as a line feed
    assert [r[title] for r in records[1 : n + 1]] == ["'" + h.replace("\r", "\n") for h in HOSTILE]
    assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r", "\n")) for r in records for c in r)
    wb = load_workbook(tmp_path / "ann.xlsx")
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    got = [wb["coding"].cell(row=i + 2, column=title + 1).value for i in range(n)]
    assert got[:-1] == HOSTILE[:-1]  # XML reads a bare CR back as LF
    for name in ("ann.csv", "ann.xlsx"):
        _, rows = read_sheet(tmp_path / name)
        assert [r["title"] for _, r in rows[:n]] == [h.strip() for h in HOSTILE]
        assert [r["excerpt"] for _, r in rows[:n]] == [h.strip() for h in HOSTILE[::-1]]
        assert rows[n][1]["title"] == sheet.loc[n, "title"]  # normal text unchanged


def test_topic_url_percent_encodes_the_slug():
    from hfreuse.coding.sample import topic_url

    template = "https://f.example/t/{slug}/{topic_id}"
    assert topic_url(template, "plain-slug", 7) == "https://f.example/t/plain-slug/7"
    assert topic_url(template, "a/../b?u=x#y z", 7) == (
        "https://f.example/t/a%2F..%2Fb%3Fu%3Dx%23y%20z/7"
    )
    assert topic_url(template, "模型", 7) == "https://f.example/t/%E6%A8%A1%E5%9E%8B/7"
    assert topic_url(template, None, 7) == "https://f.example/t/topic/7"
