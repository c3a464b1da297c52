# Trends: monthly tables from the tidy tables: Hub uploads per model type, the share of models
# with card data, and forum topics mentioning each model type (RQ3).


rule count_hub_model_types:
    """Count models created per model type and month (full month grid) by the date
    trends.created_at chooses (floored models dated by their first commit, or createdAt); models
    still at the createdAt floor flagged, kept or left out by trends.floored_models."""
    input:
        models=table("hub_models"),
    output:
        monthly=table("hub_model_types_monthly"),
    log:
        "logs/count_hub_model_types.log",
    benchmark:
        "benchmarks/count_hub_model_types.tsv"
    conda:
        "../envs/hfreuse.yaml"
    params:
        created_at=str(config["trends"]["created_at"]).lower(),
        floored_models=config["trends"]["floored_models"],
        start_month=config["trends"]["start_month"],
        end_month=config["trends"]["end_month"],
    script:
        "../scripts/count_hub_model_types.py"


rule count_card_share:
    """Per creation month (by trends.created_at): models, models with card data, and their
    share."""
    input:
        models=table("hub_models"),
    output:
        monthly=table("card_share_monthly"),
    log:
        "logs/count_card_share.log",
    benchmark:
        "benchmarks/count_card_share.tsv"
    conda:
        "../envs/hfreuse.yaml"
    params:
        created_at=str(config["trends"]["created_at"]).lower(),
        floored_models=config["trends"]["floored_models"],
        start_month=config["trends"]["start_month"],
        end_month=config["trends"]["end_month"],
    script:
        "../scripts/count_card_share.py"


rule match_model_mentions:
    """Find the model types each forum topic of one shard (a stable hash of the topic id) mentions
    in its title and posts: one compiled pass over names and aliases, ambiguous names only in
    context."""
    input:
        topics=table("forum_topics"),
        posts=table("forum_posts"),
        models=table("hub_models"),
        aliases=config["mentions"]["aliases"],
    output:
        mentions="results/mentions/shards/{scatteritem}.parquet",
    log:
        "logs/match_model_mentions/{scatteritem}.log",
    benchmark:
        "benchmarks/match_model_mentions/{scatteritem}.tsv"
    conda:
        "../envs/hfreuse.yaml"
    threads: 1
    resources:
        mem_mb=2000,
    params:
        shard=shard_index("mentions"),
        n_shards=config["mentions"]["shards"],
        ambiguous=config["mentions"]["ambiguous"],
        context_after=config["mentions"]["context_after"],
        context_before=config["mentions"]["context_before"],
    script:
        "../scripts/match_model_mentions.py"


rule count_model_mentions:
    """Gather the shards: topics per model type and month of topic creation."""
    input:
        shards=gather.mentions(rules.match_model_mentions.output.mentions),
        topics=table("forum_topics"),
        models=table("hub_models"),
    output:
        topic_mentions=table("topic_mentions"),
        monthly=table("forum_model_mentions_monthly"),
    log:
        "logs/count_model_mentions.log",
    benchmark:
        "benchmarks/count_model_mentions.tsv"
    conda:
        "../envs/hfreuse.yaml"
    threads: 1
    resources:
        mem_mb=2000,
    params:
        start_month=config["trends"]["start_month"],
        end_month=config["trends"]["end_month"],
    script:
        "../scripts/count_model_mentions.py"
