"""Demo coders: seeded, valid against the codebook, realistically (not perfectly) in agreement."""

from __future__ import annotations

import pandas as pd
from coding_support import demo_codebook, small_sample, write_csv
from hfreuse.coding.agreement import agreement_table
from hfreuse.coding.demo import fill_sheet
from hfreuse.coding.sheet_import import import_sheets
from hfreuse.coding.sheets import SHEET_COLUMNS, build_sheet


def _filled(tmp_path, sample, error_rate, seed=11):
    book = demo_codebook()
    files = {}
    for coder in ("ann", "bob"):
        done = fill_sheet(build_sheet(sample, coder), sample, book, coder, seed, error_rate)
        assert list(done.columns) == SHEET_COLUMNS
        files[coder] = write_csv(
            tmp_path / f"{coder}-{error_rate}.csv", SHEET_COLUMNS, done.astype(str).values.tolist()
        )
    return import_sheets(files, sample, book)


def test_simulated_sheets_import_and_disagree_a_little(tmp_path):
    sample = small_sample(400, sample_size=200, overlap=0.5)
    codes, roots = _filled(tmp_path, sample, error_rate=0.2)
    assert set(codes["topic_id"]) == set(sample["topic_id"])
    assert set(codes["kind"]) == {"challenge", "benefit", "root_cause"}
    assert set(roots["topic_id"]) <= set(sample.loc[sample["has_accepted_answer"], "topic_id"])
    table = agreement_table(codes, sample).set_index(["kind", "level", "measure", "pair"])
    kappa = table.loc[("challenge", "category", "cohen_kappa", "ann & bob"), "value"]
    assert 0.5 < kappa < 0.95
    perfect, _ = _filled(tmp_path, sample, error_rate=0.0)
    table0 = agreement_table(perfect, sample)
    assert (table0.loc[table0["measure"] == "percent_agreement", "value"] == 1.0).all()


def test_simulation_is_seeded(tmp_path):
    sample = small_sample()
    book = demo_codebook()
    sheet = build_sheet(sample, "ann")
    a = fill_sheet(sheet, sample, book, "ann", 5, 0.3)
    b = fill_sheet(sheet.sample(frac=1, random_state=1), sample, book, "ann", 5, 0.3)
    key = ["topic_id", "kind", "category", "subcategory"]
    pd.testing.assert_frame_equal(
        a.sort_values(key).reset_index(drop=True), b.sort_values(key).reset_index(drop=True)
    )
    c = fill_sheet(sheet, sample, book, "ann", 6, 0.3)
    assert not a[key].equals(c[key])


def test_simulated_coders_write_no_exact_duplicate_rows(tmp_path):
    """A mistake can turn a second challenge into the first one: the coder writes it once (an
    exact duplicate row is an import error)."""
    sample = small_sample(400, sample_size=200, overlap=0.5)
    book = demo_codebook()
    for seed in (0, 4, 14):
        for coder in ("ann", "bob"):
            done = fill_sheet(build_sheet(sample, coder), sample, book, coder, seed, 0.2)
            assert not done.duplicated().any(), (seed, coder)
        _filled(tmp_path, sample, error_rate=0.2, seed=seed)
