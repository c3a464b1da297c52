# Qualitative coding (RQ1, RQ2): sample topics, hand out coding sheets, import and validate the
# filled sheets (from the source: coders or the study's published coding), measure agreement,
# count the taxonomy.


rule sample_topics_for_coding:
    """Draw the coding sample (Cochran size with finite population correction, stratified by
    forum category, an overlap coded twice) and write one coding sheet per coder (CSV, XLSX).
    """
    input:
        topics=table("forum_topics"),
        posts=table("forum_posts"),
    output:
        sample=table("coding_sample"),
        design=table("sample_design"),
        csv=coding_sheets("csv"),
        xlsx=coding_sheets("xlsx"),
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


rule import_coding:
    """Import and validate the coders' filled sheets against the codebook (every bad row named,
    nothing written on error)."""
    input:
        unpack(coding_import_inputs),
        blank=coding_sheets("xlsx"),
    output:
        codebook=table("codebook"),
        codes=table("codes"),
        root_causes=table("root_causes"),
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
    """Inter-rater agreement on the double-coded topics: Cohen's kappa, Krippendorff's alpha and
    percent agreement, per taxonomy and level."""
    input:
        codes=table("codes"),
        sample=table("coding_sample"),
    output:
        agreement=table("agreement"),
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
    """Count the challenge and benefit categories by forum category of the coded topics."""
    input:
        codes=table("codes"),
    output:
        by_forum=table("taxonomy_by_forum_category"),
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


rule count_taxonomy:
    """Count topics per challenge and benefit category and subcategory (next to the study's
    published counts where the source has them) and the root causes per group."""
    input:
        unpack(coding_taxonomy_inputs),
    output:
        taxonomy_counts=table("taxonomy_counts"),
        root_cause_counts=table("root_cause_counts"),
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


# a run that wrote the blank sheets but has no filled ones ends saying what to fill and to set
onsuccess:
    from hfreuse.coding.guidance import print_guidance

    print_guidance(
        coding_sheets("xlsx") if provides("coding_sample") else [],
        SOURCE["filled_sheets"],
        SOURCE["codebook"],
    )
