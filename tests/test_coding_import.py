"""Import of filled coding sheets: a correct sheet is imported; every kind of bad row is named."""

from __future__ import annotations

import csv
import re

import pandas as pd
import pytest
from coding_support import DEMO_CODEBOOK, demo_codebook, good_rows, small_sample, write_csv
from hfreuse.coding.codebook import read_codebook_csv
from hfreuse.coding.sheet_import import import_sheets
from hfreuse.coding.sheets import SHEET_COLUMNS, build_sheet, write_sheet_csv, write_sheet_xlsx
from hfreuse.errors import InputError
from import_coding import main as import_main


@pytest.fixture(scope="module")
def sample():
    return small_sample()


def _write(path, rows, columns=SHEET_COLUMNS):
    return write_csv(path, columns, [[str(r.get(c, "")) for c in columns] for r in rows])


def _sheets(tmp_path, sample, ann_rows=None, bob_rows=None):
    ann = _write(tmp_path / "ann.csv", good_rows(sample, "ann") if ann_rows is None else ann_rows)
    bob = _write(tmp_path / "bob.csv", good_rows(sample, "bob") if bob_rows is None else bob_rows)
    return {"ann": ann, "bob": bob}


def test_correct_sheets_are_imported(tmp_path, sample):
    sheets = _sheets(tmp_path, sample)
    codes, roots = import_sheets(sheets, sample, demo_codebook())
    n_ann, n_bob = len(good_rows(sample, "ann")), len(good_rows(sample, "bob"))
    assert len(codes) == n_ann + n_bob
    assert set(codes["coder"]) == {"ann", "bob"}
    assert set(codes["kind"]) == {"challenge", "benefit", "root_cause"}
    # every sampled topic coded; a double-coded topic has one primary coder
    assert set(codes["topic_id"]) == set(sample["topic_id"])
    prim = codes[codes["primary"] & (codes["kind"] == "challenge")]
    assert prim["topic_id"].is_unique and len(prim) == len(sample)
    # rows are spreadsheet rows (header = 1)
    assert codes.loc[codes["coder"] == "ann", "row"].min() == 2
    # root causes carry the question's challenge category
    accepted = set(sample.loc[sample["has_accepted_answer"], "topic_id"])
    assert set(roots["topic_id"]) == accepted
    assert (roots["challenge_category"] == "Model Usage and Understanding").all()
    assert (roots["root_cause"] == "Lack of API knowledge").all()


def test_xlsx_sheet_is_imported_like_csv(tmp_path, sample):
    rows = good_rows(sample, "ann")
    frame = pd.DataFrame(rows, columns=SHEET_COLUMNS)
    write_sheet_xlsx(frame, "ann", tmp_path / "ann.xlsx")
    sheets = _sheets(tmp_path, sample)
    from_csv, _ = import_sheets(sheets, sample, demo_codebook())
    from_xlsx, _ = import_sheets({**sheets, "ann": tmp_path / "ann.xlsx"}, sample, demo_codebook())
    pd.testing.assert_frame_equal(from_csv, from_xlsx)


def test_case_and_spaces_are_forgiven(tmp_path, sample):
    rows = good_rows(sample, "ann")
    rows[0] = {
        **rows[0],
        "kind": " Challenge ",
        "category": "model usage and  understanding",
        "subcategory": "CHECKPOINTS AND WEIGHTS",
    }
    codes, _ = import_sheets(_sheets(tmp_path, sample, ann_rows=rows), sample, demo_codebook())
    first = codes[(codes["coder"] == "ann") & (codes["row"] == 2)].iloc[0]
    assert (first["kind"], first["category"], first["subcategory"]) == (
        "challenge",
        "Model Usage and Understanding",
        "Checkpoints and weights",
    )


def _problems(tmp_path, sample, ann_rows=None, bob_rows=None) -> str:
    with pytest.raises(InputError) as err:
        import_sheets(_sheets(tmp_path, sample, ann_rows, bob_rows), sample, demo_codebook())
    return str(err.value)


def test_every_kind_of_bad_row_is_named_in_one_message(tmp_path, sample):
    rows = [r for r in good_rows(sample, "ann") if r["kind"] == "challenge"]
    not_accepted = next(i for i, r in enumerate(rows) if i > 8 and r["has_accepted_answer"] == "no")
    bob_only = sample[sample["coders"].map(lambda c: list(c) == ["bob"])]["topic_id"].iloc[0]
    rows[0] = {**rows[0], "category": "Model Misuse"}  # unknown category
    rows[1] = {**rows[1], "subcategory": "Quantum weights"}  # unknown subcategory
    rows[2] = {**rows[2], "code": "  "}  # empty code
    rows[3] = {**rows[3], "kind": "problem"}  # not a kind
    rows[4] = {**rows[4], "kind": "benefit"}  # a challenge category given as benefit
    rows[5] = {**rows[5], "topic_id": "999999"}  # not in the sample
    rows[6] = {**rows[6], "topic_id": str(bob_only)}  # bob's topic in ann's sheet
    rows[7] = {**rows[7], "topic_id": "12a"}  # not a number
    rows[8] = {**rows[8], "category": "Spaces", "subcategory": "Gradio"}  # Spaces has none
    rows[not_accepted] = {
        **rows[not_accepted],
        "kind": "root_cause",
        "category": "User-related",
        "subcategory": "Inattention",
    }
    msg = _problems(tmp_path, sample, ann_rows=rows)
    ann = str(tmp_path / "ann.csv")
    expected = [
        rf"{ann}, row 2: category 'Model Misuse': expected a challenge category of the codebook",
        rf"{ann}, row 3: subcategory 'Quantum weights': expected a subcategory of 'Model Usage and"
        r" Understanding': one of Model behaviour, .*Checkpoints and weights",
        rf"{ann}, row 4: code '': expected a non-empty code",
        rf"{ann}, row 5: kind 'problem': expected one of challenge, benefit, root_cause",
        rf"{ann}, row 6: kind 'benefit': expected challenge for category 'Model Usage and "
        r"Understanding' \(it is a challenge category of the codebook, not a benefit category\)",
        rf"{ann}, row 7: topic_id '999999': expected a topic of the coding sample",
        rf"{ann}, row 8: topic_id '{bob_only}': expected a topic assigned to ann \(topic "
        rf"{bob_only} is assigned to bob: is this another coder's sheet\?\)",
        rf"{ann}, row 9: topic_id '12a': expected a topic id \(a whole number\)",
        rf"{ann}, row 10: subcategory 'Gradio': expected empty \('Spaces' has no subcategories\)",
        rf"{ann}, row {not_accepted + 2}: kind 'root_cause': expected challenge or benefit: root "
        r"causes are coded only on topics with an accepted answer",
    ]
    for pattern in expected:
        assert re.search(pattern, msg), f"{pattern!r} not in:\n{msg}"
    # the topics whose only row was moved away are reported as missing too
    assert "expected a row for every topic assigned to ann" in msg
    assert msg.startswith(f"{msg.split()[0]} problem(s) in the coding sheets; nothing was imported")
    assert int(msg.split()[0]) == len(re.findall(r"^  ", msg, flags=re.M))


def test_a_close_misspelling_gets_a_suggestion(tmp_path, sample):
    rows = good_rows(sample, "ann")
    rows[0] = {**rows[0], "category": "Model Usage & Understanding"}
    assert "did you mean 'Model Usage and Understanding'?" in _problems(tmp_path, sample, rows)


def test_missing_required_column(tmp_path, sample):
    rows = good_rows(sample, "bob")
    cols = [c for c in SHEET_COLUMNS if c != "kind"]
    write_csv(tmp_path / "bob.csv", cols, [[str(r[c]) for c in cols] for r in rows])
    _write(tmp_path / "ann.csv", good_rows(sample, "ann"))
    with pytest.raises(InputError) as err:
        import_sheets(
            {"ann": tmp_path / "ann.csv", "bob": tmp_path / "bob.csv"}, sample, demo_codebook()
        )
    assert re.search(
        rf"{tmp_path / 'bob.csv'}: expected the column\(s\) kind \(required: "
        r"topic_id, code, kind, category, subcategory; found: topic_id, url",
        str(err.value),
    )


def test_missing_topic_row(tmp_path, sample):
    rows = good_rows(sample, "bob")
    dropped = rows[0]["topic_id"]
    rows = [r for r in rows if r["topic_id"] != dropped]
    msg = _problems(tmp_path, sample, bob_rows=rows)
    assert (
        f"bob.csv: topic_id '{dropped}': expected a row for every topic assigned to bob "
        f"(topic {dropped} has none)"
    ) in msg


def test_blank_template_rows_are_empty_codes(tmp_path, sample):
    blank = build_sheet(sample, "bob").to_dict("records")
    msg = _problems(tmp_path, sample, bob_rows=blank)
    assert msg.count("expected a non-empty code") == len(blank)


def test_script_writes_nothing_on_error(tmp_path, sample):
    rows = good_rows(sample, "ann")
    rows[0] = {**rows[0], "category": "nonsense"}
    sheets = _sheets(tmp_path, sample, ann_rows=rows)
    sample.to_parquet(tmp_path / "sample.parquet")
    out = {n: tmp_path / f"{n}.parquet" for n in ("codebook", "codes", "root_causes")}
    with pytest.raises(InputError, match="row 2: category 'nonsense'"):
        import_main(
            tmp_path / "sample.parquet",
            [sheets["ann"], sheets["bob"]],
            DEMO_CODEBOOK,
            coders=["ann", "bob"],
            **out,
        )
    assert not any(p.exists() for p in out.values())
    _sheets(tmp_path, sample)
    import_main(
        tmp_path / "sample.parquet",
        [sheets["ann"], sheets["bob"]],
        DEMO_CODEBOOK,
        coders=["ann", "bob"],
        **out,
    )
    assert pd.read_parquet(out["codes"])["coder"].nunique() == 2


def test_codebook_validation(tmp_path):
    good = read_codebook_csv(DEMO_CODEBOOK)
    counts = good.groupby("kind")["category"].nunique().to_dict()
    assert counts == {"benefit": 6, "challenge": 17, "root_cause": 4}
    assert good["definition"].notna().all() and good["example"].notna().all()
    bad = tmp_path / "codebook.csv"
    write_csv(
        bad,
        ["kind", "category", "subcategory", "definition", "example"],
        [
            ["challenge", "A", "a1", "d", "e"],
            ["", "", "a1", "d", "e"],  # duplicate after forward fill
            ["", "B", "", "d", "e"],
            ["", "", "b1", "d", "e"],  # B with and without subcategories
            ["issue", "C", "", "d", "e"],  # bad kind
        ],
    )
    with pytest.raises(InputError) as err:
        read_codebook_csv(bad)
    msg = str(err.value)
    assert f"{bad}, row 6: kind 'issue': expected one of challenge, benefit, root_cause" in msg
    write_csv(
        bad,
        ["kind", "category", "subcategory", "definition", "example"],
        [
            ["challenge", "A", "a1", "d", "e"],
            ["", "", "a1", "d", "e"],
            ["", "B", "", "d", "e"],
            ["", "", "b1", "d", "e"],
        ],
    )
    with pytest.raises(InputError) as err:
        read_codebook_csv(bad)
    assert "duplicate entry challenge / A / a1" in str(err.value)
    assert "challenge category 'B' has rows with and without a subcategory" in str(err.value)
    write_csv(bad, ["kind", "category", "definition"], [["challenge", "A", "d"]])
    with pytest.raises(InputError, match=r"missing column\(s\) \['subcategory', 'example'\]"):
        read_codebook_csv(bad)


def test_filled_hostile_sheet_round_trip(tmp_path, sample):
    """Written sheet with formula-like titles -> the coder fills the code columns (codes may
    start with - or +) -> import: the codes come back without the CSV's protective quote."""
    hostile = sample.copy()
    hostile["title"] = "=cmd|' /C calc'!A0"
    hostile["excerpt"] = "@SUM(1+1)"
    rows = good_rows(hostile, "ann")
    for i, r in enumerate(rows):
        r["code"] = ("-1 argument missing", "+ a note", "=A1", "plain")[i % 4]
    frame = pd.DataFrame(rows, columns=SHEET_COLUMNS)
    write_sheet_csv(frame, tmp_path / "ann.csv")
    assert "'=cmd|" in (tmp_path / "ann.csv").read_text(encoding="utf-8-sig")
    write_sheet_xlsx(frame, "ann", tmp_path / "ann.xlsx")
    bob = _write(tmp_path / "bob.csv", good_rows(sample, "bob"))
    for name in ("ann.csv", "ann.xlsx"):
        codes, _ = import_sheets({"ann": tmp_path / name, "bob": bob}, hostile, demo_codebook())
        got = codes.loc[codes["coder"] == "ann"].sort_values("row")["code"].tolist()
        assert got == [r["code"] for r in rows], name


def _xlsx(path, rows, columns=SHEET_COLUMNS, title="coding", extra=None):
    """A workbook with the sheet ``title`` (after the sheets ``extra``), header then rows."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for name in extra or []:
        wb.create_sheet(name).append(["nothing to see"])
    ws = wb.create_sheet(title)
    ws.append(list(columns))
    for r in rows:
        ws.append([str(r.get(c, "")) for c in columns if c is not None])
    wb.save(path)
    return path


def test_unlabelled_xlsx_column_with_a_note_is_ignored(tmp_path, sample):
    rows = good_rows(sample, "ann")
    path = _xlsx(tmp_path / "ann.xlsx", rows, columns=[*SHEET_COLUMNS, None])
    from openpyxl import load_workbook

    wb = load_workbook(path)
    wb["coding"].cell(row=3, column=len(SHEET_COLUMNS) + 1, value="my own note")
    wb.save(path)
    sheets = _sheets(tmp_path, sample)
    codes, _ = import_sheets({**sheets, "ann": path}, sample, demo_codebook())
    assert (codes["coder"] == "ann").sum() == len(rows)


def test_semicolon_csv_is_named(tmp_path, sample):
    rows = good_rows(sample, "ann")
    with open(tmp_path / "ann.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, delimiter=";")
        w.writerow(SHEET_COLUMNS)
        w.writerows([[r[c] for c in SHEET_COLUMNS] for r in rows])
    _write(tmp_path / "bob.csv", good_rows(sample, "bob"))
    sheets = {"ann": tmp_path / "ann.csv", "bob": tmp_path / "bob.csv"}
    with pytest.raises(InputError) as err:
        import_sheets(sheets, sample, demo_codebook())
    assert (
        f"{tmp_path / 'ann.csv'}, row 1: expected comma-separated values; "
        "this file looks semicolon-separated"
    ) in str(err.value)


def test_renamed_coding_sheet_is_not_read_from_another_sheet(tmp_path, sample):
    rows = good_rows(sample, "ann")
    path = _xlsx(tmp_path / "ann.xlsx", rows, title="my coding", extra=["instructions"])
    sheets = _sheets(tmp_path, sample)
    with pytest.raises(InputError) as err:
        import_sheets({**sheets, "ann": path}, sample, demo_codebook())
    assert (
        f"{path}: expected a worksheet named 'coding' (the sheet written for the coder); "
        "found: 'instructions', 'my coding'"
    ) in str(err.value)
    # not the first sheet, but named 'coding': read from there
    path = _xlsx(tmp_path / "ann.xlsx", rows, extra=["instructions"])
    codes, _ = import_sheets({**sheets, "ann": path}, sample, demo_codebook())
    assert (codes["coder"] == "ann").sum() == len(rows)


def test_exact_duplicate_rows_are_reported(tmp_path, sample):
    rows = good_rows(sample, "ann")
    rows = [*rows[:3], rows[1], *rows[3:], rows[0]]
    msg = _problems(tmp_path, sample, ann_rows=rows)
    ann = tmp_path / "ann.csv"
    assert f"{ann}, row 5: expected no exact duplicate rows (row 5 repeats row 3)" in msg
    last = len(rows) + 1
    assert f"{ann}, row {last}: expected no exact duplicate rows (row {last} repeats row 2)" in msg
    assert msg.startswith("2 problem(s)")


def test_duplicated_header_is_named(tmp_path, sample):
    rows = good_rows(sample, "ann")
    write_csv(
        tmp_path / "ann.csv",
        [*SHEET_COLUMNS, "code"],
        [[r[c] for c in SHEET_COLUMNS] + ["other"] for r in rows],
    )
    _write(tmp_path / "bob.csv", good_rows(sample, "bob"))
    with pytest.raises(InputError) as err:
        import_sheets(
            {"ann": tmp_path / "ann.csv", "bob": tmp_path / "bob.csv"}, sample, demo_codebook()
        )
    assert (
        f"{tmp_path / 'ann.csv'}, row 1: expected each column once (column 'code' is in "
        "columns H and M)"
    ) in str(err.value)


def test_a_bad_sheet_does_not_hide_the_problems_of_the_others(tmp_path, sample):
    (tmp_path / "ann.csv").write_bytes(
        ",".join(SHEET_COLUMNS).encode() + b"\n1,u,caf\xe9 cr\xe8me,,,,,,,,,\n"
    )
    rows = good_rows(sample, "bob")
    rows[0] = {**rows[0], "category": "nonsense"}
    _write(tmp_path / "bob.csv", rows)
    with pytest.raises(InputError) as err:
        import_sheets(
            {"ann": tmp_path / "ann.csv", "bob": tmp_path / "bob.csv"}, sample, demo_codebook()
        )
    msg = str(err.value)
    assert msg.startswith("2 problem(s) in the coding sheets")
    assert (
        f"{tmp_path / 'ann.csv'}: expected a UTF-8 CSV file (byte 0xe9 on text line 2 is not "
        "UTF-8: save it as CSV UTF-8)"
    ) in msg
    assert f"{tmp_path / 'bob.csv'}, row 2: category 'nonsense'" in msg
