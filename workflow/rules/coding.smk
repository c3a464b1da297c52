# Qualitative coding (RQ1, RQ2): sample topics, hand out coding sheets, import and validate the
# filled sheets (or the study's published coding), measure agreement, count the taxonomy.


if config["source"] in ("demo", "live"):

    rule sample_topics_for_coding:
        input:
            topics="results/forum/topics.parquet",
            posts="results/forum/posts.parquet",
        output:
            sample="results/coding/sample.parquet",
            design="results/coding/sample_design.parquet",
            csv=coding_sheet_files("csv"),
            xlsx=coding_sheet_files("xlsx"),
        log:
            "logs/sample_topics_for_coding.log",
        benchmark:
            "benchmarks/sample_topics_for_coding.tsv"
        conda:
            "../envs/hfreuse.yaml"
        threads: 1
        resources:
            mem_mb=2000,
        params:
            seed=config["coding"]["seed"],
            sample_size=config["coding"]["sample_size"],
            confidence=config["coding"]["confidence"],
            margin=config["coding"]["margin"],
            proportion=config["coding"]["proportion"],
            stratify_by_category=config["coding"]["stratify_by_category"],
            exclude_pinned=config["coding"]["exclude_pinned"],
            coders=config["coding"]["coders"],
            overlap=config["coding"]["overlap"],
            excerpt_chars=config["coding"]["excerpt_chars"],
            url_template=coding_topic_url,
        script:
            "../scripts/sample_topics_for_coding.py"


if config["source"] == "demo":

    rule simulate_demo_coders:
        input:
            sample="results/coding/sample.parquet",
            sheets=coding_sheet_files("csv"),
            demo_codebook="workflow/resources/coding/demo_codebook.csv",
        output:
            filled=coding_filled_files(),
            codebook_csv=coding_codebook_file(),
        log:
            "logs/simulate_demo_coders.log",
        benchmark:
            "benchmarks/simulate_demo_coders.tsv"
        conda:
            "../envs/hfreuse.yaml"
        threads: 1
        resources:
            mem_mb=2000,
        params:
            coders=config["coding"]["coders"],
            seed=config["demo"]["seed"],
            error_rate=config["coding"]["demo_error_rate"],
        script:
            "../scripts/simulate_demo_coders.py"


if config["source"] in ("demo", "live") and coding_imported():

    rule import_coding:
        input:
            sample="results/coding/sample.parquet",
            filled=coding_filled_files(),
            codebook_csv=coding_codebook_file(),
        output:
            codebook="results/coding/codebook.parquet",
            codes="results/coding/codes.parquet",
            root_causes="results/coding/root_causes.parquet",
        log:
            "logs/import_coding.log",
        benchmark:
            "benchmarks/import_coding.tsv"
        conda:
            "../envs/hfreuse.yaml"
        threads: 1
        resources:
            mem_mb=2000,
        params:
            coders=config["coding"]["coders"],
        script:
            "../scripts/import_coding.py"

    rule measure_agreement:
        input:
            codes="results/coding/codes.parquet",
            sample="results/coding/sample.parquet",
        output:
            agreement="results/coding/agreement.parquet",
        log:
            "logs/measure_agreement.log",
        benchmark:
            "benchmarks/measure_agreement.tsv"
        conda:
            "../envs/hfreuse.yaml"
        threads: 1
        resources:
            mem_mb=2000,
        script:
            "../scripts/measure_agreement.py"

    rule count_taxonomy_by_forum_category:
        input:
            codes="results/coding/codes.parquet",
        output:
            by_forum="results/coding/taxonomy_by_forum_category.parquet",
        log:
            "logs/count_taxonomy_by_forum_category.log",
        benchmark:
            "benchmarks/count_taxonomy_by_forum_category.tsv"
        conda:
            "../envs/hfreuse.yaml"
        threads: 1
        resources:
            mem_mb=2000,
        script:
            "../scripts/count_taxonomy_by_forum_category.py"


if config["source"] == "paper":
    if paper_package_download():

        rule fetch_replication_package:
            output:
                manifest=f"{raw_dir()}/replication/manifest.json",
                files=[coding_paper_file(f) for f in PAPER_PACKAGE_FILES],
            log:
                "logs/fetch_replication_package.log",
            benchmark:
                "benchmarks/fetch_replication_package.tsv"
            retries: 2
            localrule: True
            conda:
                "../envs/hfreuse.yaml"
            threads: 1
            resources:
                mem_mb=2000,
            params:
                url=config["paper"]["archive_url"],
                members=PAPER_PACKAGE_FILES,
            script:
                "../scripts/fetch_replication_package.py"

    rule import_paper_coding:
        input:
            challenges_csv=coding_paper_file("Codebooks/Challenges.csv"),
            benefits_csv=coding_paper_file("Codebooks/Benefits.csv"),
            overview_xlsx=coding_paper_file("Codebooks/Codebook.xlsx"),
            all_codes_csv=coding_paper_file("Coded Data/All_Codes.csv"),
            root_causes_csv=coding_paper_file("Coded Data/Root_Causes.csv"),
            mappings="workflow/resources/paper/coding_mappings.yaml",
        output:
            codebook="results/coding/codebook.parquet",
            codes="results/coding/codes.parquet",
            root_causes="results/coding/root_causes.parquet",
            published_counts="results/coding/published_counts.parquet",
        log:
            "logs/import_paper_coding.log",
        benchmark:
            "benchmarks/import_paper_coding.tsv"
        conda:
            "../envs/hfreuse.yaml"
        threads: 1
        resources:
            mem_mb=2000,
        script:
            "../scripts/import_paper_coding.py"


if coding_imported():

    rule count_taxonomy:
        input:
            unpack(coding_taxonomy_inputs),
        output:
            taxonomy_counts="results/coding/taxonomy_counts.parquet",
            root_cause_counts="results/coding/root_cause_counts.parquet",
        log:
            "logs/count_taxonomy.log",
        benchmark:
            "benchmarks/count_taxonomy.tsv"
        conda:
            "../envs/hfreuse.yaml"
        threads: 1
        resources:
            mem_mb=2000,
        script:
            "../scripts/count_taxonomy.py"

    rule plot_taxonomy:
        input:
            taxonomy_counts="results/coding/taxonomy_counts.parquet",
        output:
            **coding_figure_outputs("{taxonomy}_sunburst", "{taxonomy}_bar"),
        log:
            "logs/plot_taxonomy/{taxonomy}.log",
        benchmark:
            "benchmarks/plot_taxonomy/{taxonomy}.tsv"
        wildcard_constraints:
            taxonomy="challenges|benefits",
        conda:
            "../envs/hfreuse.yaml"
        threads: 1
        resources:
            mem_mb=2000,
        params:
            taxonomy="{taxonomy}",
            size=config["coding"]["sunburst_size"],
            width=config["figures"]["width"],
            source_note=coding_source_note(),
            synthetic=config["source"] == "demo",
        script:
            "../scripts/plot_taxonomy.py"

    rule plot_root_causes:
        input:
            root_cause_counts="results/coding/root_cause_counts.parquet",
        output:
            **coding_figure_outputs("root_causes_sunburst", "root_causes_by_challenge"),
        log:
            "logs/plot_root_causes.log",
        benchmark:
            "benchmarks/plot_root_causes.tsv"
        conda:
            "../envs/hfreuse.yaml"
        threads: 1
        resources:
            mem_mb=2000,
        params:
            size=config["coding"]["sunburst_size"],
            width=config["figures"]["width"],
            source_note=coding_source_note(),
            synthetic=config["source"] == "demo",
        script:
            "../scripts/plot_root_causes.py"
