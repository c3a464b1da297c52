# Forum stage: the raw forum snapshot (crawled or generated) -> results/forum/ tables and the
# descriptive forum statistics.


rule parse_forum_topics:
    """Parse the topics of one shard (a stable hash of the topic id) into topic and post part
    tables: plain text from the HTML (code kept), authors as keyed pseudonyms."""
    input:
        manifest=f"{raw_dir()}/forum/manifest.json",
    output:
        topics="results/forum/parts/topics-{scatteritem}.parquet",
        posts="results/forum/parts/posts-{scatteritem}.parquet",
    log:
        "logs/parse_forum_topics/{scatteritem}.log",
    benchmark:
        "benchmarks/parse_forum_topics/{scatteritem}.tsv"
    conda:
        "../envs/hfreuse.yaml"
    threads: 1
    resources:
        mem_mb=1500,  # 0.25 GB peak for 19,000 topics, 75,000 posts (bench/bench_scale.py)
    params:
        shard=shard_index("forum_parse"),
        n_shards=config["forum"]["parse_shards"],
        staff_groups=config["forum"]["staff_groups"],
    script:
        "../scripts/parse_forum_topics.py"


rule parse_forum:
    """Gather the part tables into the forum's categories, topics and posts tables; the topics
    the crawl quarantined in a table; the forum's name (its title, else its host)."""
    input:
        manifest=f"{raw_dir()}/forum/manifest.json",
        topic_parts=gather.forum_parse(rules.parse_forum_topics.output.topics),
        post_parts=gather.forum_parse(rules.parse_forum_topics.output.posts),
    output:
        categories=table("forum_categories"),
        topics=table("forum_topics"),
        posts=table("forum_posts"),
        quarantine=table("forum_quarantine"),
        site=table("forum_site"),
    log:
        "logs/parse_forum.log",
    benchmark:
        "benchmarks/parse_forum.tsv"
    conda:
        "../envs/hfreuse.yaml"
    threads: 1
    resources:
        mem_mb=3000,  # 0.5 GB peak for 150,000 topics, 600,000 posts (bench/bench_scale.py)
    script:
        "../scripts/parse_forum.py"


rule summarize_forum:
    """Descriptive forum statistics: topics per category and month, posts per topic, accepted
    answers by staff and others, and a summary."""
    input:
        topics=table("forum_topics"),
        posts=table("forum_posts"),
    output:
        topics_per_category=table("topics_per_category_monthly"),
        posts_per_topic=table("posts_per_topic"),
        accepted_answers=table("accepted_answers"),
        summary=table("forum_summary"),
    log:
        "logs/summarize_forum.log",
    benchmark:
        "benchmarks/summarize_forum.tsv"
    conda:
        "../envs/hfreuse.yaml"
    threads: 1
    resources:
        mem_mb=4000,
    script:
        "../scripts/summarize_forum.py"
