# Hub stage: the raw Hub snapshot (crawled or generated) -> results/hub/models.parquet.


rule parse_hub_pages:
    """Parse the raw list pages of one shard (page i goes to shard (i - 1) mod N) into a part
    table of models."""
    input:
        manifest=f"{raw_dir()}/hub/manifest.json",
    output:
        part="results/hub/parts/models-{scatteritem}.parquet",
    log:
        "logs/parse_hub_pages/{scatteritem}.log",
    benchmark:
        "benchmarks/parse_hub_pages/{scatteritem}.tsv"
    conda:
        "../envs/hfreuse.yaml"
    threads: 1
    resources:
        mem_mb=3000,  # 0.6 GB peak for 250,000 models a shard (bench/bench_scale.py)
    params:
        shard=shard_index("hub_parse"),
        n_shards=config["hub"]["parse_shards"],
    script:
        "../scripts/parse_hub_pages.py"


rule parse_hub_models:
    """Gather the part tables into one row per model (de-duplicated, sorted by id) and add the
    README length of every fetched card and the true creation date of every floored model (its
    first commit); the quarantined READMEs in a table."""
    input:
        manifest=f"{raw_dir()}/hub/manifest.json",
        card_manifests=hub_card_markers(),
        history_manifests=hub_card_markers("history"),
        parts=gather.hub_parse(rules.parse_hub_pages.output.part),
    output:
        models=table("hub_models"),
        quarantine=table("hub_quarantine"),
    log:
        "logs/parse_hub_models.log",
    benchmark:
        "benchmarks/parse_hub_models.tsv"
    conda:
        "../envs/hfreuse.yaml"
    threads: 1
    resources:
        mem_mb=4000,  # 1.7 GB peak for 2,000,000 models, 200,000 READMEs (bench/bench_scale.py)
    script:
        "../scripts/parse_hub_models.py"


rule parse_card_history:
    """The card history of the sample: where README.md first appeared, card data then and
    today."""
    input:
        manifest=f"{raw_dir()}/hub/card_history/manifest.json",
        models=table("hub_models"),
    output:
        card_history=table("card_history"),
    log:
        "logs/parse_card_history.log",
    benchmark:
        "benchmarks/parse_card_history.tsv"
    conda:
        "../envs/hfreuse.yaml"
    threads: 1
    resources:
        mem_mb=2000,
    script:
        "../scripts/parse_card_history.py"
