# Summary: the study's findings in numbers, one tidy table (results/report/summary.parquet) read
# from the run's tables. The report presents it and computes nothing.


rule summarize_study:
    """Every number of the report's summary, with its sentence, from the run's tables."""
    input:
        tables=study_tables(),
    output:
        summary="results/report/summary.parquet",
    log:
        "logs/summarize_study.log",
    benchmark:
        "benchmarks/summarize_study.tsv"
    conda:
        "../envs/hfreuse.yaml"
    threads: 1
    resources:
        mem_mb=2000,
    params:
        alpha=config["stats"]["alpha"],
        top_n=config["figures"]["top_n"],
        rank_by=config["figures"]["model_types_by"],
        provides=SOURCE["provides"],
        synthetic=SOURCE["synthetic"],
        table_names={path: name for name, path in TABLES.items()},
    script:
        "../scripts/summarize_study.py"


rule describe_outputs:
    """Row counts, sizes and sha256 checksums of every output of the run (the report's run
    manifest presents them)."""
    input:
        outputs=run_outputs(),
    output:
        facts="results/report/outputs.parquet",
    log:
        "logs/describe_outputs.log",
    benchmark:
        "benchmarks/describe_outputs.tsv"
    conda:
        "../envs/hfreuse.yaml"
    threads: 1
    resources:
        mem_mb=2000,
    script:
        "../scripts/describe_outputs.py"
