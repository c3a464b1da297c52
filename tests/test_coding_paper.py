"""Paper adapter on the real replication package (../shared/data/replication; skipped when absent).

Every count asserted here was checked by hand in the package files."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile

import pytest
from conftest import ROOT, shared_path
from fetch_replication_package import main as fetch_main
from hfreuse.coding.paper import (
    extract_package,
    load_mappings,
    read_all_codes,
    read_overview,
    read_package_codebook,
    read_root_causes,
)
from hfreuse.coding.taxonomy import root_cause_counts, taxonomy_counts
from hfreuse.errors import InputError

MAPPINGS = ROOT / "workflow" / "resources" / "paper" / "coding_mappings.yaml"
MEMBERS = [
    "Codebooks/Challenges.csv",
    "Codebooks/Benefits.csv",
    "Codebooks/Codebook.xlsx",
    "Coded Data/All_Codes.csv",
    "Coded Data/Root_Causes.csv",
]


@pytest.fixture(scope="module")
def pkg():
    return shared_path("replication", "Replication Package")


@pytest.fixture(scope="module")
def maps():
    return load_mappings(MAPPINGS)


@pytest.fixture(scope="module")
def book(pkg, maps):
    return read_package_codebook(
        pkg / "Codebooks/Challenges.csv", pkg / "Codebooks/Benefits.csv", maps
    )


def test_codebook(book):
    ch = book[book["kind"] == "challenge"]
    be = book[book["kind"] == "benefit"]
    # Challenges.csv: 47 rows, '#' 1..17, 40 subcategories, 7 categories without one
    assert len(ch) == 47 and ch["category"].nunique() == 17
    assert ch["subcategory"].notna().sum() == 40
    assert sorted(ch.loc[ch["subcategory"].isna(), "category"]) == sorted(
        [
            "Specific Solution Need",
            "Incomprehensible output",
            "Lack of Support",
            "Spaces",
            "Privacy & Security",
            "Onboarding",
            "Other Issues",
        ]
    )
    # Benefits.csv: 22 rows, 6 categories, 21 subcategories; People from Other Domains has none
    assert len(be) == 22 and be["category"].nunique() == 6
    assert be["subcategory"].notna().sum() == 21
    # forward-filled merged cells
    row = ch.set_index("subcategory").loc
    assert row["Customizing Model", "category"] == "Model Usage and Understanding"
    assert row["Google Colab", "category"] == "External Platforms & Libraries"
    assert row["Google Colab", "subcategory_order"] == 7
    assert book.loc[book["subcategory"] == "Other Announcements", "category"].item() == (
        "Announcements"
    )
    assert ch["definition"].notna().all() and ch["example"].str.startswith("T").all()
    assert set(book.loc[book["kind"] == "root_cause", "category"]) == {
        "User-related",
        "HF-related",
        "External platforms",
        "Other",
    }


def test_overview_counts(pkg, book, maps):
    ov = read_overview(pkg / "Codebooks/Codebook.xlsx", book, maps)
    ch = ov[ov["kind"] == "challenge"].set_index("category")["count"]
    be = ov[ov["kind"] == "benefit"].set_index("category")["count"]
    # Overview A1:B17 and the total in B18; A28:B33 and =SUM(B28:B33)
    assert len(ch) == 17 and ch.sum() == 737
    assert ch["Model Usage and Understanding"] == 106 and ch["Lack of Support"] == 6
    assert len(be) == 6 and be.sum() == 514
    # the Overview's "Expert Opinion and Solutions" is the codebook's "... and Clarification"
    assert be["Expert Opinion and Clarification"] == 262
    renamed = ov[ov["label"] != ov["category"]]
    assert renamed[["label", "category"]].values.tolist() == [
        ["Expert Opinion and Solutions", "Expert Opinion and Clarification"]
    ]
    counts = taxonomy_counts(book, read_all_codes(pkg / "Coded Data/All_Codes.csv", maps), ov)
    cat = counts[counts["level"] == "category"]
    assert cat.groupby("kind")["count"].sum().to_dict() == {"benefit": 514, "challenge": 737}
    assert counts.loc[counts["level"] == "subcategory", "count"].isna().all()


def test_all_codes(pkg, maps):
    codes = read_all_codes(pkg / "Coded Data/All_Codes.csv", maps)
    # 1,190 text lines = header + 1,183 records (5 quoted cells hold 6 newlines)
    assert len(codes) == 1183 and codes["topic_id"].nunique() == 455
    assert codes["kind"].isna().all() and codes["category"].isna().all()
    # Tag spellings: "Beginners" 295 + "beginners" 85
    fc = codes["forum_category"].value_counts()
    assert fc["Beginners"] == 380 and "beginners" not in fc
    assert fc["Flax/JAX Projects"] == 14 and fc["Community Calls"] == 11
    # topic 120 has 7 codes (file rows 2-8); topic 12350 repeats one code three times
    assert (codes["topic_id"] == 120).sum() == 7
    rep = codes[
        (codes["topic_id"] == 12350)
        & (codes["code"] == "repeatedly getting unexpected incomprehensible output")
    ]
    assert len(rep) == 3
    # a quoted multi-line note (record 862 of the file, topic 7008) kept on one line
    note = codes.loc[codes["row"] == 863, "notes"].item()
    assert note.startswith("Why do we need to apply softmax") and "\n" not in note
    with open(pkg / "Coded Data/All_Codes.csv", encoding="utf-8", newline="") as fh:
        assert sum(1 for _ in csv.reader(fh)) == 1184


def test_root_causes(pkg, book, maps):
    rc = read_root_causes(pkg / "Coded Data/Root_Causes.csv", book, maps)
    # 72 rows on 70 topics: 31171 and 26596 appear twice; the Coder column is empty
    assert len(rc) == 72 and rc["topic_id"].nunique() == 70
    assert rc["coder"].isna().all() and rc["primary"].all()
    assert set(rc["challenge_category"]) <= set(book.loc[book["kind"] == "challenge", "category"])
    compound = rc[rc["topic_id"] == 12705].iloc[0]  # "Model Usage ... / Tutorial and ..."
    assert (compound["challenge_category"], compound["challenge_subcategory"]) == (
        "Model Usage and Understanding",
        "Model Converting (ONNX Library)",
    )
    assert rc.loc[rc["topic_id"] == 31048, "challenge_category"].item() == "Other Issues"
    # "Lack of practical knowledge/experience by user" is the most frequent text (9 rows)
    assert (rc["code"] == "Lack of practical knowledge/experience by user").sum() == 9
    groups = root_cause_counts(rc).groupby("root_cause_group")["count"].sum().to_dict()
    assert sum(groups.values()) == 72 and groups["Other"] == 3  # "Not clear" x2, "---"


def test_every_package_value_is_mapped(pkg, maps):
    import pandas as pd
    from hfreuse.coding.codebook import norm_key

    df = pd.read_csv(pkg / "Coded Data/Root_Causes.csv", dtype=str, keep_default_na=False)
    pairs = {
        (norm_key(a), norm_key(b))
        for a, b in zip(df["Code Category"], df["Code Subcategory"], strict=True)
    }
    mapped = {
        (norm_key(m["package"][0]), norm_key(m["package"][1]))
        for m in maps["root_cause_categories"]
    }
    assert pairs == mapped  # 43 pairs, none stale
    texts = {norm_key(t) for t in df["Root Cause"]}
    assert texts == {norm_key(t) for t in maps["root_causes"]}  # 56 texts


def test_unmapped_values_are_errors(pkg, book, maps, tmp_path):
    from openpyxl import load_workbook

    wb = load_workbook(pkg / "Codebooks/Codebook.xlsx")
    wb["Overview"]["A29"] = "Collaboration for Solving"
    wb.save(tmp_path / "Codebook.xlsx")
    with pytest.raises(InputError) as err:
        read_overview(tmp_path / "Codebook.xlsx", book, maps)
    assert "Overview row 29: benefit category 'Collaboration for Solving' is not in the" in str(
        err.value
    )
    assert "no count for the benefit category 'Collaboration to Solve Issues'" in str(err.value)
    text = (pkg / "Coded Data/Root_Causes.csv").read_text(encoding="utf-8")
    (tmp_path / "rc.csv").write_text(
        text.replace("Programming mistakes by the user", "Cosmic rays"), encoding="utf-8"
    )
    with pytest.raises(InputError, match=r"Root Cause 'Cosmic rays': expected a text listed"):
        read_root_causes(tmp_path / "rc.csv", book, maps)


def _archive(pkg, members, top="SANER2024ReplicationPackage-main"):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(f"{top}/README.md", "# readme\n")
        for m in members:
            zf.write(pkg / m, f"{top}/Replication Package/{m}")
    return buf.getvalue()


def test_fetch_replication_package_from_a_stub_server(pkg, tmp_path, httpserver):
    from werkzeug import Response

    data = _archive(pkg, MEMBERS)
    httpserver.expect_request("/owner/repo/archive/refs/heads/main.zip").respond_with_response(
        Response(status=302, headers={"Location": httpserver.url_for("/codeload/main.zip")})
    )
    httpserver.expect_request("/codeload/main.zip").respond_with_data(
        data, content_type="application/zip"
    )
    raw = tmp_path / "resources/raw/paper/replication"
    files = [raw / "Replication Package" / m for m in MEMBERS]
    url = httpserver.url_for("/owner/repo/archive/refs/heads/main.zip")
    fetch_main(str(raw / "manifest.json"), [str(f) for f in files], url, MEMBERS)
    for m, f in zip(MEMBERS, files, strict=True):
        assert f.read_bytes() == (pkg / m).read_bytes()
    manifest = json.loads((raw / "manifest.json").read_text())
    assert manifest["url"] == url
    assert manifest["archive_sha256"] == hashlib.sha256(data).hexdigest()
    assert manifest["files"]["Coded Data/All_Codes.csv"]["bytes"] == 146902
    assert manifest["requests"]["statuses"] == {"200": 1}
    assert not (raw / "Replication Package" / "README.md").exists()


def test_archive_without_a_member_writes_nothing(pkg, tmp_path):
    data = _archive(pkg, MEMBERS[:-1])
    with pytest.raises(InputError, match=r"has no Replication Package/Coded Data/Root_Causes"):
        extract_package(data, tmp_path, MEMBERS, tmp_path / "manifest.json", url="u")
    assert not any(tmp_path.iterdir())
    with pytest.raises(InputError, match="expected a zip archive"):
        extract_package(b"<html>", tmp_path, MEMBERS, tmp_path / "manifest.json", url="u")
