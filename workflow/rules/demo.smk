# Demo source: synthetic raw snapshots generated offline, in the live crawl's raw format.


if config["source"] == "demo":

    rule generate_demo_hub:
        output:
            manifest="resources/raw/{snapshot}/hub/manifest.json",
            card_manifests=expand(
                "resources/raw/{{snapshot}}/hub/cards/shard-{shard}.json",
                shard=card_shard_ids(),
            ),
        log:
            "logs/generate_demo_hub/{snapshot}.log",
        benchmark:
            "benchmarks/generate_demo_hub/{snapshot}.tsv"
        conda:
            "../envs/hfreuse.yaml"
        threads: 1
        resources:
            mem_mb=3000,  # 2.0 GB peak for 2,000,000 models (bench/bench_scale.py)
        params:
            seed=config["demo"]["seed"],
            n_models=config["demo"]["models"],
            page_size=config["demo"]["page_size"],
            card_shards=config["hub"]["card_shards"],
            max_cards=config["hub"]["max_cards"],
        script:
            "../scripts/generate_demo_hub.py"
