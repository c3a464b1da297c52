# Source live: crawl the Hub and a Discourse forum (or one: crawl.halves) into resources/raw/
# <snapshot>/ (the only network rules: local, paced, resumable); coded sheets: coding.filled_dir.


define_source(
    synthetic=False,
    provides=[
        *halves_products(
            config["crawl"]["halves"],
            coded=bool(config["coding"]["filled_dir"] and config["coding"]["codebook"]),
        ),
        "claims",
    ],
    raw_manifests=raw_manifests(config["crawl"]["halves"]),
    filled_sheets=coded_sheets(config["coding"]["filled_dir"]),
    codebook=config["coding"]["codebook"],
    coding_note=f"source: coded forum sample (snapshot {config['snapshot']})",
)


rule fetch_hub_models:
    """Page the Hub's model listing oldest first (sort=createdAt), following the Link cursor;
    gzipped pages, state beside them, the manifest written last."""
    output:
        manifest="resources/raw/{snapshot}/hub/manifest.json",
    log:
        "logs/fetch_hub_models/{snapshot}.log",
    benchmark:
        "benchmarks/fetch_hub_models/{snapshot}.tsv"
    retries: 2
    localrule: True
    conda:
        "../../envs/hfreuse.yaml"
    resources:
        hf_api=1,
    params:
        endpoint=config["hub"]["endpoint"],
        expand=config["hub"]["expand"],
        page_size=config["hub"]["page_size"],
        oldest_models=config["hub"]["oldest_models"],
        requests_per_minute=config["hub"]["requests_per_minute"],
        timeout=config["hub"]["timeout_seconds"],
        max_retries=config["hub"]["max_retries"],
    script:
        "../../scripts/fetch_hub_models.py"


rule fetch_hub_cards:
    """Fetch the README.md of every listed model of one shard (a stable hash of the model id)
    at the listed revision (unless unchanged since hub.previous_snapshot: copied), resumably;
    READMEs that still fail after retries are quarantined (crawl.max_failed_share)."""
    input:
        models="resources/raw/{snapshot}/hub/manifest.json",
    output:
        shard_manifest="resources/raw/{snapshot}/hub/cards/shard-{scatteritem}.json",
    log:
        "logs/fetch_hub_cards/{snapshot}/{scatteritem}.log",
    benchmark:
        "benchmarks/fetch_hub_cards/{snapshot}/{scatteritem}.tsv"
    retries: 2
    localrule: not config["cluster"]["fetch_cards_on_nodes"]
    conda:
        "../../envs/hfreuse.yaml"
    resources:
        hf_resolve=1,
    params:
        shard=shard_index("hub_cards"),
        n_shards=config["hub"]["card_shards"],
        endpoint=config["hub"]["endpoint"],
        max_cards=config["hub"]["max_cards"],
        previous_snapshot=config["hub"]["previous_snapshot"],
        resolves_per_minute=card_resolves_per_minute(),
        timeout=config["hub"]["timeout_seconds"],
        max_retries=config["hub"]["max_retries"],
        max_failed_share=config["crawl"]["max_failed_share"],
    script:
        "../../scripts/fetch_hub_cards.py"


rule fetch_hub_history:
    """Fetch the commit history of every listed model of one shard (a stable hash of the model
    id) whose createdAt is the floor, at the listed revision, resumably, through huggingface_hub
    behind the paced client: its first commit dates it (or hub.previous_snapshot's)."""
    input:
        models="resources/raw/{snapshot}/hub/manifest.json",
    output:
        shard_manifest="resources/raw/{snapshot}/hub/history/shard-{scatteritem}.json",
    log:
        "logs/fetch_hub_history/{snapshot}/{scatteritem}.log",
    benchmark:
        "benchmarks/fetch_hub_history/{snapshot}/{scatteritem}.tsv"
    retries: 2
    localrule: not config["cluster"]["fetch_cards_on_nodes"]
    conda:
        "../../envs/hfreuse.yaml"
    resources:
        hf_api=1,
    params:
        shard=shard_index("hub_history"),
        n_shards=config["hub"]["history_shards"],
        endpoint=config["hub"]["endpoint"],
        previous_snapshot=config["hub"]["previous_snapshot"],
        requests_per_minute=config["hub"]["requests_per_minute"],
        timeout=config["hub"]["timeout_seconds"],
        max_retries=config["hub"]["max_retries"],
        max_failed_share=config["crawl"]["max_failed_share"],
    script:
        "../../scripts/fetch_hub_history.py"


rule fetch_hub_card_history:
    """For a seeded sample of the models with a README: the commit where README.md first
    appeared (bisection over the history) and the README then, resumably, paced; models that
    still fail after retries are quarantined (crawl.max_failed_share)."""
    input:
        models="resources/raw/{snapshot}/hub/manifest.json",
    output:
        manifest="resources/raw/{snapshot}/hub/card_history/manifest.json",
    log:
        "logs/fetch_hub_card_history/{snapshot}.log",
    benchmark:
        "benchmarks/fetch_hub_card_history/{snapshot}.tsv"
    retries: 2
    localrule: True
    conda:
        "../../envs/hfreuse.yaml"
    resources:
        hf_api=1,
    params:
        endpoint=config["hub"]["endpoint"],
        previous_snapshot=config["hub"]["previous_snapshot"],
        sample={
            "size": config["hub"]["card_history_sample"],
            "seed": config["hub"]["card_history_seed"],
            **{k: config["coding"][k] for k in ("confidence", "margin", "proportion")},
        },
        requests_per_minute=config["hub"]["requests_per_minute"],
        timeout=config["hub"]["timeout_seconds"],
        max_retries=config["hub"]["max_retries"],
        max_failed_share=config["crawl"]["max_failed_share"],
    script:
        "../../scripts/fetch_hub_card_history.py"


rule fetch_forum_listing:
    """List the forum's categories and topics (/latest.json to the empty page, then a catch-up
    pass) within forum.start..forum.end."""
    output:
        listing="resources/raw/{snapshot}/forum/listing.json",
    log:
        "logs/fetch_forum_listing/{snapshot}.log",
    benchmark:
        "benchmarks/fetch_forum_listing/{snapshot}.tsv"
    retries: 2
    localrule: True
    conda:
        "../../envs/hfreuse.yaml"
    resources:
        forum_api=1,
    params:
        base_url=config["forum"]["base_url"],
        start=config["forum"]["start"],
        end=config["forum"]["end"],
        max_topics=config["forum"]["max_topics"],
        requests_per_minute=config["forum"]["requests_per_minute"],
        timeout=config["forum"]["timeout_seconds"],
        max_retries=config["forum"]["max_retries"],
    script:
        "../../scripts/fetch_forum_listing.py"


rule fetch_forum_topics:
    """Fetch every listed topic with all its posts (/t/{id}.json, then posts.json batches, or
    the global post feed: forum.plan), reusing unchanged topics of forum.previous_snapshot;
    topics that still fail after retries are quarantined (crawl.max_failed_share); the
    manifest written last."""
    input:
        listing="resources/raw/{snapshot}/forum/listing.json",
    output:
        manifest="resources/raw/{snapshot}/forum/manifest.json",
    log:
        "logs/fetch_forum_topics/{snapshot}.log",
    benchmark:
        "benchmarks/fetch_forum_topics/{snapshot}.tsv"
    retries: 2
    localrule: True
    conda:
        "../../envs/hfreuse.yaml"
    resources:
        forum_api=1,
    params:
        previous_snapshot=config["forum"]["previous_snapshot"],
        recheck_days=config["forum"]["recheck_days"],
        plan=config["forum"]["plan"],
        requests_per_minute=config["forum"]["requests_per_minute"],
        timeout=config["forum"]["timeout_seconds"],
        max_retries=config["forum"]["max_retries"],
        max_failed_share=config["crawl"]["max_failed_share"],
    script:
        "../../scripts/fetch_forum_topics.py"
