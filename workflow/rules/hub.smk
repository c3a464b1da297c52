# Hub stage: crawl (live source only) and parse the raw Hub snapshot.


if config["source"] == "live":

    rule fetch_hub_models:
        output:
            manifest="resources/raw/{snapshot}/hub/manifest.json",
        log:
            "logs/fetch_hub_models/{snapshot}.log",
        benchmark:
            "benchmarks/fetch_hub_models/{snapshot}.tsv"
        retries: 2
        localrule: True
        conda:
            "../envs/hfreuse.yaml"
        resources:
            hf_api=1,
        params:
            endpoint=config["hub"]["endpoint"],
            expand=config["hub"]["expand"],
            page_size=config["hub"]["page_size"],
            max_models=config["hub"]["max_models"],
            requests_per_minute=config["hub"]["requests_per_minute"],
            timeout=config["hub"]["timeout_seconds"],
            max_retries=config["hub"]["max_retries"],
        script:
            "../scripts/fetch_hub_models.py"

    rule fetch_hub_cards:
        input:
            models="resources/raw/{snapshot}/hub/manifest.json",
        output:
            shard_manifest="resources/raw/{snapshot}/hub/cards/shard-{shard}.json",
        log:
            "logs/fetch_hub_cards/{snapshot}/{shard}.log",
        benchmark:
            "benchmarks/fetch_hub_cards/{snapshot}/{shard}.tsv"
        retries: 2
        localrule: not config["cluster"]["fetch_cards_on_nodes"]
        conda:
            "../envs/hfreuse.yaml"
        resources:
            hf_resolve=1,
        params:
            shard="{shard}",
            endpoint=config["hub"]["endpoint"],
            max_cards=config["hub"]["max_cards"],
            resolves_per_minute=card_resolves_per_minute(),
            timeout=config["hub"]["timeout_seconds"],
            max_retries=config["hub"]["max_retries"],
        script:
            "../scripts/fetch_hub_cards.py"


rule parse_hub_pages:
    input:
        manifest=lambda w: f"{raw_dir()}/hub/manifest.json",
    output:
        part="results/hub/parts/models-{part}.parquet",
    log:
        "logs/parse_hub_pages/{part}.log",
    benchmark:
        "benchmarks/parse_hub_pages/{part}.tsv"
    conda:
        "../envs/hfreuse.yaml"
    threads: 1
    resources:
        mem_mb=3000,  # 0.6 GB peak for 250,000 models a shard (bench/bench_scale.py)
    params:
        shard="{part}",
    script:
        "../scripts/parse_hub_pages.py"


rule parse_hub_models:
    input:
        unpack(hub_raw_inputs),
        parts=hub_parse_parts(),
    output:
        models="results/hub/models.parquet",
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
