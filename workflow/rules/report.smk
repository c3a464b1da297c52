# Report: one self-contained HTML file (the study report) organised like the study (Overview,
# RQ1, RQ2, RQ3, methods and data, appendix): every figure of the run, the key tables, the run
# manifest and the data dictionary. Its inputs are all other targets of the run. Beside it, the
# result tables as LaTeX and CSV for papers (results/tables/).


rule write_paper_tables:
    """Write every result table the run provides (claims, coded counts, agreement, RQ3
    correlations and trends, date sensitivity) as a LaTeX table for a paper (booktabs, escaped,
    captioned, labelled, headers from the data dictionary) and as CSV beside it."""
    input:
        unpack(paper_table_inputs),
    output:
        tex=paper_table_files("tex"),
        csv=paper_table_files("csv"),
    log:
        "logs/write_paper_tables.log",
    benchmark:
        "benchmarks/write_paper_tables.tsv"
    conda:
        "../envs/hfreuse.yaml"
    threads: 1
    resources:
        mem_mb=1000,
    params:
        names=paper_tables(),
        synthetic=SOURCE["synthetic"],
    script:
        "../scripts/write_paper_tables.py"


rule build_report:
    """Build the study report: every figure with its caption, numbered and placed by research
    question, the key tables, the run manifest (snapshots, crawl dates, request counts,
    checksums) and the data dictionary."""
    input:
        unpack(report_inputs),
    output:
        report=report("results/report.html", category="Study report"),
    log:
        "logs/build_report.log",
    benchmark:
        "benchmarks/build_report.tsv"
    conda:
        "../envs/hfreuse.yaml"
    threads: 1
    resources:
        mem_mb=2000,
    params:
        config=config,
        synthetic=SOURCE["synthetic"],
        max_table_rows=config["report"]["max_table_rows"],
        key_tables=config["report"]["key_tables"],
        figure_categories={n: FIGURES[n]["category"] for n in run_figures()},
        table_names={path: name for name, path in TABLES.items()},
    script:
        "../scripts/build_report.py"
