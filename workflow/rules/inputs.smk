# Input functions of the stage rules (functions only, like common.smk; Snakemake's linter wants
# rules and functions apart): the coding import and taxonomy, the study's tables and outputs
# (summary), the tables for papers, the report's inputs.
from hfreuse.report.latex import RESULT_TABLES


def coding_import_inputs(wildcards):
    sheets = dict(filled=SOURCE["filled_sheets"], codebook_csv=SOURCE["codebook"] or [])
    return {"sample": table("coding_sample")} | sheets


def coding_taxonomy_inputs(wildcards):
    tables = ["codebook", "codes", "root_causes"]
    tables += ["published_counts"] if provides("published_counts") else []
    return {t: table(t) for t in tables}


def coding_topic_url(wildcards):
    """The topic URL template ({slug}, {topic_id}); a function, so braces are no wildcards."""
    base = config["forum"]["base_url"].rstrip("/")
    return config["coding"]["topic_url"] or "{}/t/{{slug}}/{{topic_id}}".format(base)


def claims_inputs(wildcards):
    """The tables the paper's claims are evaluated on, as far as the run provides them: the
    forum mentions next to the Hub uploads, the card-share trend, the coded taxonomy."""
    tables = {
        "mention_trends": ["totals_correlation", "model_trends", "declining_rising"],
        "hub_trends": ["card_share_trend"],
        "coded": ["taxonomy_counts"],
    }
    return {t: table(t) for p, names in tables.items() if provides(p) for t in names}


def study_tables():
    """The run's tables (parquet, CSV): what summarize_study reads and the report lists."""
    return [t for t in study_files() if t.endswith((".parquet", ".csv"))]


def run_outputs():
    """Every output the report lists: the tables, figures, tables for papers and the study
    summary."""
    return study_files() + paper_files() + [rules.summarize_study.output.summary]


# --- tables for papers: the result tables the run provides, as LaTeX and CSV ---

PAPER_TABLES_DIR = "results/tables"


def paper_tables():
    """The result tables this run writes for papers (hfreuse.report.latex.RESULT_TABLES, in
    its order): those its source provides."""
    have = provided_tables()
    return [name for name in RESULT_TABLES if name in have]


def paper_table_files(ext):
    """The paper tables' files of one kind (tex, csv), in the order of paper_tables()."""
    return [f"{PAPER_TABLES_DIR}/{name}.{ext}" for name in paper_tables()]


def paper_files():
    return paper_table_files("tex") + paper_table_files("csv")


def paper_table_inputs(wildcards):
    """Named inputs of write_paper_tables: each result table by its name, the dictionary."""
    tables = {name: table(name) for name in paper_tables()}
    return tables | {"dictionary": sorted(glob("workflow/report/dictionary/*.yaml"))}


def report_inputs(wildcards):
    """Named inputs of build_report: the summary, the outputs' facts, figures (SVG + spec) and
    captions, tables, the source's raw manifests, the data dictionary, style sheet, template.
    """
    names = sorted(run_figures())
    return {
        "summary": rules.summarize_study.output.summary,
        "facts": rules.describe_outputs.output.facts,
        "figures": [figure_files(n)["svg"] for n in names],
        "specs": [figure_files(n)["spec"] for n in names],
        "tables": study_tables(),
        "manifests": sorted(SOURCE["raw_manifests"]),
        "captions": [FIGURES[n]["caption"] for n in names],
        "dictionary": sorted(glob("workflow/report/dictionary/*.yaml")),
        "style": "workflow/report/report.css",
        "template": "workflow/report/templates/report.html.j2",
    }
