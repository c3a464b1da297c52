# Source demo: a synthetic Hub and forum generated offline, seeded, in the live crawl's raw
# format, and two simulated coders who fill the coding sheets. Everything after is shared.


define_source(
    synthetic=True,
    provides=[
        *["hub_trends", "mention_trends", "hub_models", "forum", "mentions"],
        *["coding_sample", "coded", "agreement"],
        "claims",
    ],
    raw_manifests=raw_manifests(["hub", "forum"]),
    filled_sheets=[
        f"{raw_dir()}/coding/filled/{c}.csv" for c in config["coding"]["coders"]
    ],
    codebook=f"{raw_dir()}/coding/codebook.csv",
    coding_note=f"source: simulated coders on the demo forum sample (snapshot {config['snapshot']})",
)


rule generate_demo_hub:
    """Generate the synthetic raw Hub snapshot: list pages, README shards and the commit
    histories of floored models (Zipf-like model types moving over time, models without config,
    the createdAt floor, card data)."""
    output:
        manifest="resources/raw/{snapshot}/hub/manifest.json",
        card_manifests=scatter.hub_cards(
            "resources/raw/{{snapshot}}/hub/cards/shard-{scatteritem}.json"
        ),
        history_manifests=scatter.hub_history(
            "resources/raw/{{snapshot}}/hub/history/shard-{scatteritem}.json"
        ),
        card_history="resources/raw/{snapshot}/hub/card_history/manifest.json",
    log:
        "logs/generate_demo_hub/{snapshot}.log",
    benchmark:
        "benchmarks/generate_demo_hub/{snapshot}.tsv"
    conda:
        "../../envs/hfreuse.yaml"
    threads: 1
    resources:
        mem_mb=3000,  # 2.0 GB peak for 2,000,000 models (bench/bench_scale.py)
    params:
        seed=config["demo"]["seed"],
        n_models=config["demo"]["models"],
        page_size=config["demo"]["page_size"],
        max_cards=config["hub"]["max_cards"],
        card_history_sample={
            "size": config["hub"]["card_history_sample"],
            "seed": config["hub"]["card_history_seed"],
            **{k: config["coding"][k] for k in ("confidence", "margin", "proportion")},
        },
        hostile_names=config["demo"]["hostile_names"],
    script:
        "../../scripts/generate_demo_hub.py"


rule generate_demo_forum:
    """Generate the synthetic raw forum snapshot, shaped like discuss.huggingface.co
    (categories, pinned topics, long threads, accepted answers, model names in posts).
    """
    output:
        manifest="resources/raw/{snapshot}/forum/manifest.json",
        listing="resources/raw/{snapshot}/forum/listing.json",
    log:
        "logs/generate_demo_forum/{snapshot}.log",
    benchmark:
        "benchmarks/generate_demo_forum/{snapshot}.tsv"
    conda:
        "../../envs/hfreuse.yaml"
    params:
        seed=config["demo"]["seed"],
        n_topics=config["demo"]["forum_topics"],
        mean_posts_per_topic=config["demo"]["mean_posts_per_topic"],
        hostile_names=config["demo"]["hostile_names"],
    script:
        "../../scripts/generate_demo_forum.py"


rule simulate_demo_coders:
    """Fill the coding sheets as two simulated coders would (seeded, with a set error rate),
    from the demo codebook."""
    input:
        sample=table("coding_sample"),
        sheets=coding_sheets("csv"),
        demo_codebook="workflow/resources/coding/demo_codebook.csv",
    output:
        filled=SOURCE["filled_sheets"],
        codebook_csv=SOURCE["codebook"],
    log:
        "logs/simulate_demo_coders.log",
    benchmark:
        "benchmarks/simulate_demo_coders.tsv"
    conda:
        "../../envs/hfreuse.yaml"
    threads: 1
    resources:
        mem_mb=2000,
    params:
        coders=config["coding"]["coders"],
        seed=config["demo"]["seed"],
        error_rate=config["coding"]["demo_error_rate"],
    script:
        "../../scripts/simulate_demo_coders.py"
