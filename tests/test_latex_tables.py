"""Tables for papers (issue 22, item 6): every result table the report shows is also written as
results/tables/<name>.tex (pandas' Styler, booktabs, escaped, captioned, labelled, headers from
the data dictionary) with a CSV beside it holding the same rows and cells.

Unit tests on small frames, then the session's demo and paper runs read (no run of their own).
A LaTeX document including every table of the demo run is compiled with pdflatex (the `pdflatex`
fixture: required in CI, skipped elsewhere when Debian's TeX Live is absent).
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import ROOT
from hfreuse.coding.sheets import unescape_cell
from hfreuse.errors import InputError
from hfreuse.report import latex
from hfreuse.report.dictionary import entry_for, load_dictionary, tables_under

DICTIONARY = sorted(str(p) for p in (ROOT / "workflow/report/dictionary").glob("*.yaml"))
HOSTILE = r"R&D 100% of_x #1 $5 ~home ^up \back {b}"
#: the text LaTeX shows for each escape the Styler and latex_text write (to read cells back)
UNESCAPE = [
    (r"\textbackslash \space ", "\\ "),
    (r"\textasciitilde \space ", "~ "),
    (r"\textasciicircum \space ", "^ "),
    (r"\textbackslash{}", "\\"),
    (r"\textasciitilde{}", "~"),
    (r"\textasciicircum{}", "^"),
    (r"\textbackslash ", "\\"),
    (r"\textasciitilde ", "~"),
    (r"\textasciicircum ", "^"),
    *[("\\" + c, c) for c in "&%$#_{}"],
]
LATEX_DOC = (
    "\\documentclass{article}\n\\usepackage{booktabs}\n"
    "\\usepackage{longtable}\n\\begin{document}\n%s\\end{document}\n"
)


def unlatex(text: str) -> str:
    for seq, plain in UNESCAPE:
        text = text.replace(seq, plain)
    return text


def body_rows(tex: str) -> list[list[str]]:
    """The cells of the table's rows (between \\midrule and \\bottomrule; a longtable's after
    its \\endlastfoot), split on the unescaped column separator."""
    if "\\endlastfoot" in tex:
        body = tex.split("\\endlastfoot\n", 1)[1].split("\\end{longtable}", 1)[0]
    else:
        body = tex.split("\\midrule\n", 1)[1].split("\\bottomrule", 1)[0]
    rows = [r for r in body.split(" \\\\\n") if r.strip()]
    return [re.split(r"(?<!\\)&", r) for r in rows]


def header(tex: str) -> list[str]:
    line = tex.split("\\toprule\n", 1)[1].split(" \\\\\n", 1)[0]
    return [unlatex(c).strip() for c in re.split(r"(?<!\\)&", line)]


def read_csv(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


def write(tmp_path, df, name="agreement", synthetic=False, labels=None):
    """Write ``df`` as the paper table ``name`` through the real dictionary (or an entry with
    ``labels``); return the LaTeX and the CSV rows."""
    source = tmp_path / "results" / "table.parquet"
    source.parent.mkdir(parents=True, exist_ok=True)
    df.to_parquet(source)
    if labels is None:
        entries = load_dictionary(DICTIONARY)
        key = next(k for k in entries if k.endswith(f"/{name}.parquet"))
        entries = {str(source): entries[key]}
    else:
        doc = {
            "results/table.parquet": {
                "description": "a test table",
                "columns": [
                    {"name": c, "type": "t", "meaning": "m", "source": "s", "label": lab}
                    for c, lab in labels.items()
                ],
            }
        }
        (tmp_path / "dict.yaml").write_text(yaml.safe_dump(doc))
        entries = {str(source): load_dictionary([tmp_path / "dict.yaml"])["results/table.parquet"]}
    tex, out = tmp_path / f"{name}.tex", tmp_path / f"{name}.csv"
    latex.write_result_table(name, str(source), str(tex), str(out), entries, synthetic)
    return tex.read_text(encoding="utf-8"), read_csv(out)


def agreement_frame() -> pd.DataFrame:
    rows = [
        ("benefit", "category", "cohen_kappa", "coder1 & coder2", 2, 1234, 0.859493),
        ("challenge", "category", "percent_agreement", "all coders", 2, 72, 0.9027),
    ]
    names = ["kind", "level", "measure", "pair", "coders", "units", "value"]
    return pd.DataFrame.from_records(rows, columns=names)


# --- the LaTeX: booktabs, caption, label, headers, escaping ---


def test_a_table_has_booktabs_rules_a_caption_a_label_and_the_dictionary_headers(tmp_path):
    tex, rows = write(tmp_path, agreement_frame())
    assert tex.count("\\toprule") == tex.count("\\midrule") == tex.count("\\bottomrule") == 1
    assert "\\hline" not in tex
    assert "\\caption{Agreement between the coders.}" in tex  # the report's title
    assert "\\label{tab:agreement}" in tex
    assert "\\begin{table}" in tex and "\\centering" in tex
    # reader headers: the dictionary's labels, not snake_case names
    expected = ["Kind", "Level", "Measure", "Coders compared", "Coders", "Units", "Value"]
    assert header(tex) == expected
    assert rows[0] == expected
    # numbers as in the report: counts grouped, statistics to 3 significant digits
    assert rows[1] == [
        "benefit",
        "category",
        "cohen_kappa",
        "coder1 & coder2",
        "2",
        "1,234",
        "0.859",
    ]
    assert [unlatex(c).strip() for c in body_rows(tex)[0]] == rows[1]
    assert "coder1 \\& coder2" in tex and "cohen\\_kappa" in tex
    assert re.search(r"\\begin\{tabular\}\{llllrrr\}", tex)


def test_every_special_character_in_names_and_headers_is_escaped(tmp_path):
    df = pd.DataFrame({"name": [HOSTILE, "plain"], "count": [3, 4]})
    tex, rows = write(tmp_path, df, labels={"name": "Name & #", "count": "n_% ~^"})
    cells = body_rows(tex)
    assert len(cells) == 2 and all(len(r) == 2 for r in cells)  # no & left unescaped
    assert unlatex(cells[0][0]).strip() == HOSTILE
    assert header(tex) == ["Name & #", "n_% ~^"]
    for seq in (r"R\&D 100\% of\_x \#1 \$5", r"\textbackslash ", r"\{b\}"):
        assert seq in tex
    # outside the escapes no special character is left in the table's text
    text = tex.split("\\midrule\n", 1)[1].split("\\bottomrule")[0].replace(" \\\\\n", "\n")
    for seq, _ in UNESCAPE:
        text = text.replace(seq, "")
    assert not re.search(r"(?<!\\)[&%$#_{}~^]", text.replace(" & ", " "))
    assert rows[1] == [HOSTILE, "3"]  # the CSV holds the text itself


def test_the_caption_is_escaped_and_says_when_the_data_are_synthetic(tmp_path):
    assert latex.latex_text(HOSTILE) == (
        r"R\&D 100\% of\_x \#1 \$5 \textasciitilde home \textasciicircum up "
        r"\textbackslash back \{b\}"
    )
    assert unlatex(latex.latex_text(HOSTILE)) == HOSTILE
    demo, _ = write(tmp_path, agreement_frame(), synthetic=True)
    caption = re.search(r"\\caption\{(.*)\}\n", demo).group(1)
    assert "Synthetic demo data" in caption and caption.startswith("Agreement between the coders")
    plain, _ = write(tmp_path, agreement_frame(), synthetic=False)
    assert "ynthetic" not in plain


# --- cells: yes/no, empty columns, lists, formats ---


def test_booleans_read_yes_and_no_and_empty_columns_are_left_out(tmp_path):
    df = pd.DataFrame(
        {
            "model_type": ["bert", "t5", "gpt2"],
            "n_months": [58, 58, 58],
            "forum_topics": [121, 82, 69],
            "hub_models": [1325, 752, 1120],
            "rho": [-0.2932, float("nan"), 0.0741],
            "p_value": [0.0256, float("nan"), 1.37e-12],
            "p_adjusted": [float("nan")] * 3,  # empty in every row: left out
            "significant": pd.array([True, None, False], dtype="boolean"),
        }
    )
    tex, rows = write(tmp_path, df, name="monthly_correlation")
    assert rows[0] == [
        "Model type",
        "Months",
        "Forum topics",
        "Hub models",
        "Spearman rho",
        "p",
        "Significant",
    ]
    assert [r[-1] for r in rows[1:]] == ["yes", "", "no"]
    assert rows[1][3] == "1,325" and rows[1][4] == "-0.293"
    assert rows[1][5] == "0.026" and rows[3][5] == "1.4e-12"  # p-values: 2 significant digits
    assert "Left out, empty in every row: Adjusted p." in tex
    assert "true" not in tex.lower().replace("\\", "") and "false" not in tex.lower()


def test_shares_are_percentages_and_years_have_no_separator(tmp_path):
    df = pd.DataFrame(
        {"kind": ["a"], "forum_category": ["Beginners"], "category": ["X"], "count": [2024]}
        | {"topics": [1999], "share": [0.348361]}
    )
    _, rows = write(tmp_path, df, name="taxonomy_by_forum_category")
    assert rows[1] == ["a", "Beginners", "X", "2,024", "1,999", "34.8%"]
    table = latex.paper_table(pd.DataFrame({"year": [2024]}), latex.ResultTable(), {"year": "Y"})
    assert table.cells.iloc[0, 0] == "2024"


def test_long_lists_are_counted_and_the_caption_says_where_the_names_are(tmp_path):
    names = ", ".join(f"m{i}" for i in range(145))
    df = pd.DataFrame(
        {
            "statistic": ["declining_rising", "hub_trend", "card_share_trend"],
            "subject": ["all", "bert", "mann_kendall"],
            "measure": ["models", "direction", "increase"],
            "api": [None, None, None],
            "true": [None, None, None],
            "difference": [None, None, None],
            "api_label": [names, "rising", "false"],
            "true_label": ["bert, t5", "rising", "false"],
            "changed": [True, False, False],
        }
    )
    tex, rows = write(tmp_path, df, name="date_sensitivity")
    assert rows[0] == ["Statistic", "Subject", "Measure", "createdAt (text)"] + [
        "First commit (text)",
        "Changed",
    ]
    assert rows[1][3:] == ["145 model types", "bert, t5", "yes"]  # a short list stays
    assert rows[2][3] == "rising"
    assert "createdAt (text): lists of more than 5 names are given as their count" in tex
    assert "m144" not in tex


def test_a_table_without_rows_keeps_its_columns_and_says_so(tmp_path):
    df = agreement_frame().iloc[:0]
    tex, rows = write(tmp_path, df)
    assert rows == [["Kind", "Level", "Measure", "Coders compared", "Coders", "Units", "Value"]]
    assert "No rows in this run." in tex and body_rows(tex) == []


def test_long_tables_break_across_pages_and_long_text_wraps(tmp_path):
    n = latex.LONG_ROWS + 1
    df = pd.DataFrame(
        {"name": [f"a rather long name of a category, number {i:03d}" for i in range(n)]}
    )
    tex, rows = write(tmp_path, df, labels={"name": "Name"})
    assert "\\begin{longtable}{p{0.60\\linewidth}}" in tex
    assert tex.count("\\caption") == 2 and "\\label{tab:agreement}" in tex
    assert len(body_rows(tex)) == n == len(rows) - 1


def test_text_a_spreadsheet_would_run_is_quoted_in_the_csv_only(tmp_path):
    df = pd.DataFrame({"name": ["=cmd|' /C calc'!A0", "-2+3"], "value": [-0.5, 1.0]})
    tex, rows = write(tmp_path, df, labels={"name": "Name", "value": "Value"})
    assert rows[1] == ["'=cmd|' /C calc'!A0", "-0.5"]  # numbers stay numbers
    assert [unescape_cell(r[0]) for r in rows[1:]] == [
        unlatex(r[0]).strip() for r in body_rows(tex)
    ]


def test_the_files_are_the_same_when_written_again(tmp_path):
    first = write(tmp_path / "a", agreement_frame(), synthetic=True)
    second = write(tmp_path / "b", agreement_frame(), synthetic=True)
    assert first == second


# --- headers from the dictionary: every shown column has a label ---


def test_every_shown_column_has_a_label_in_the_dictionary():
    entries = load_dictionary(DICTIONARY)
    products = yaml.safe_load((ROOT / "workflow/products.yaml").read_text())
    paths = {n: p for tables in products.values() for n, p in tables.items()}
    for name, spec in latex.RESULT_TABLES.items():
        entry = entry_for(paths[name], entries)
        shown = spec.columns or tuple(c.name for c in entry.columns)
        labels = latex.column_labels(paths[name], shown, entries)
        assert all(lab and "_" not in lab for lab in labels.values()), (name, labels)


def test_a_column_without_a_label_names_the_dictionary_file(tmp_path):
    entries = load_dictionary(DICTIONARY)
    key = "results/coding/agreement.parquet"
    with pytest.raises(InputError, match=r"coding\.yaml: .*agreement.*'extra' needs a label"):
        latex.column_labels(key, ["kind", "extra"], entries)
    df = pd.DataFrame({"scope": ["all"], "n_models": [3], "p_value": [0.5], "n_months": [4]})
    df["first_month"] = df["last_month"] = "2020-07"
    with pytest.raises(InputError, match=r"table\.parquet: expected column\(s\) rho.*forcerun"):
        write(tmp_path, df, name="totals_correlation")


# --- the demo and paper runs ---


def tables_of(wf: Path) -> dict[str, str]:
    products = yaml.safe_load((wf / "workflow/products.yaml").read_text())
    return {n: p for tables in products.values() for n, p in tables.items()}


def check_run_tables(wf: Path, expected: set[str], synthetic: bool) -> None:
    folder = wf / "results/tables"
    texs = sorted(folder.glob("*.tex"))
    assert {p.stem for p in texs} == expected
    assert {p.stem for p in folder.glob("*.csv")} == expected
    for tex_path in texs:
        tex = tex_path.read_text(encoding="utf-8")
        rows = read_csv(tex_path.with_suffix(".csv"))
        assert "\\toprule" in tex and "\\bottomrule" in tex, tex_path
        assert f"\\label{{tab:{tex_path.stem}}}" in tex
        assert ("Synthetic demo data" in tex) == synthetic
        assert header(tex) == rows[0], tex_path
        cells = body_rows(tex)
        assert len(cells) == len(rows) - 1, tex_path
        assert all(len(r) == len(rows[0]) for r in cells), tex_path
        assert [[unlatex(c).strip() for c in r] for r in cells] == [
            [unescape_cell(c) for c in r] for r in rows[1:]
        ], tex_path
        assert not any(re.fullmatch(r"[a-z]+(_[a-z]+)+", h) for h in rows[0]), tex_path
    facts = pd.read_parquet(wf / "results/report/outputs.parquet")
    assert {f"results/tables/{p.name}" for p in texs} <= set(facts["file"])
    # they present documented tables (under their labels): not tables of the dictionary
    assert not [t for t in tables_under(wf / "results") if t.startswith("results/tables/")]


def test_the_demo_run_writes_a_paper_table_for_every_result_table(demo_run):
    expected = set(latex.RESULT_TABLES) - {"reproduction"}  # the demo has no paper claims
    check_run_tables(demo_run, expected, synthetic=True)
    rows = read_csv(demo_run / "results/tables/claims.csv")
    claims = pd.read_parquet(demo_run / tables_of(demo_run)["claims"])
    assert [r[0] for r in rows[1:]] == claims["research_question"].tolist()
    assert rows[0] == ["RQ", "Claim", "Paper", "This run", "p", "Verdict", "n"]


def test_a_document_including_every_table_of_the_demo_run_compiles(demo_run, pdflatex, tmp_path):
    texs = sorted((demo_run / "results/tables").glob("*.tex"))
    assert len(texs) == len(latex.RESULT_TABLES) - 1
    compile_tables(pdflatex, tmp_path, texs)


def test_the_paper_run_writes_its_tables_without_the_forum_ones(paper_run):
    expected = set(latex.RESULT_TABLES) - {
        "agreement",
        "taxonomy_by_forum_category",
        "date_sensitivity",
    }
    check_run_tables(paper_run, expected, synthetic=False)
    tex = (paper_run / "results/tables/taxonomy_counts.tex").read_text(encoding="utf-8")
    assert "Left out, empty in every row: Topics, Share of category." in tex  # not published


def compile_tables(pdflatex: str, folder: Path, texs: list[Path]) -> None:
    """Compile one article that includes every table (pdflatex, stops at the first error)."""
    folder.mkdir(parents=True, exist_ok=True)
    for p in texs:
        shutil.copy(p, folder / p.name)
    body = "".join(f"\\input{{{p.stem}}}\n\\clearpage\n" for p in texs)
    (folder / "tables.tex").write_text(LATEX_DOC % body, encoding="utf-8")
    cmd = [pdflatex, "-interaction=nonstopmode", "-halt-on-error", "tables.tex"]
    proc = subprocess.run(cmd, cwd=folder, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert (folder / "tables.pdf").stat().st_size > 0


def test_a_table_of_hostile_names_compiles(pdflatex, tmp_path):
    df = pd.DataFrame({"name": [HOSTILE, "</script>", "=cmd|' /C calc'!A0"], "count": [1, 2, 3]})
    write(tmp_path, df, labels={"name": "Name & #_$", "count": "%~^\\"})
    compile_tables(pdflatex, tmp_path / "doc", [tmp_path / "agreement.tex"])


def test_a_blank_label_in_the_dictionary_is_an_error(tmp_path):
    col = {"name": "kind", "type": "string", "meaning": "m", "source": "s", "label": " "}
    path = tmp_path / "dict.yaml"
    path.write_text(yaml.safe_dump({"results/x.parquet": {"description": "d", "columns": [col]}}))
    with pytest.raises(
        InputError, match=r"dict\.yaml: results/x\.parquet, column 'kind': expected a text label"
    ):
        load_dictionary([path])
