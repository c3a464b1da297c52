# Forum stage: crawl a Discourse forum (live) or generate one (demo), parse it into tidy tables,
# then the forum statistics and figures. The paper source has no forum data.


if config["source"] == "demo":

    rule generate_demo_forum:
        output:
            manifest="resources/raw/{snapshot}/forum/manifest.json",
            listing="resources/raw/{snapshot}/forum/listing.json",
        log:
            "logs/generate_demo_forum/{snapshot}.log",
        benchmark:
            "benchmarks/generate_demo_forum/{snapshot}.tsv"
        conda:
            "../envs/hfreuse.yaml"
        params:
            seed=config["demo"]["seed"],
            n_topics=config["demo"]["forum_topics"],
            mean_posts_per_topic=config["demo"]["mean_posts_per_topic"],
        script:
            "../scripts/generate_demo_forum.py"


if config["source"] == "live":

    rule fetch_forum_listing:
        output:
            listing="resources/raw/{snapshot}/forum/listing.json",
        log:
            "logs/fetch_forum_listing/{snapshot}.log",
        benchmark:
            "benchmarks/fetch_forum_listing/{snapshot}.tsv"
        retries: 2
        localrule: True
        conda:
            "../envs/hfreuse.yaml"
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
            "../scripts/fetch_forum_listing.py"

    rule fetch_forum_topics:
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
            "../envs/hfreuse.yaml"
        resources:
            forum_api=1,
        params:
            previous_snapshot=config["forum"]["previous_snapshot"],
            recheck_days=config["forum"]["recheck_days"],
            requests_per_minute=config["forum"]["requests_per_minute"],
            timeout=config["forum"]["timeout_seconds"],
            max_retries=config["forum"]["max_retries"],
        script:
            "../scripts/fetch_forum_topics.py"


if config["source"] in ("demo", "live"):

    rule parse_forum_topics:
        input:
            manifest=forum_manifest(),
        output:
            topics="results/forum/parts/topics-{shard}.parquet",
            posts="results/forum/parts/posts-{shard}.parquet",
        log:
            "logs/parse_forum_topics/{shard}.log",
        benchmark:
            "benchmarks/parse_forum_topics/{shard}.tsv"
        wildcard_constraints:
            shard=r"\d+-of-\d+",
        conda:
            "../envs/hfreuse.yaml"
        threads: 1
        resources:
            mem_mb=1500,  # 0.25 GB peak for 19,000 topics, 75,000 posts (bench/bench_scale.py)
        params:
            shard="{shard}",
            staff_groups=config["forum"]["staff_groups"],
        script:
            "../scripts/parse_forum_topics.py"

    rule parse_forum:
        input:
            manifest=forum_manifest(),
            topic_parts=forum_parse_parts("topics"),
            post_parts=forum_parse_parts("posts"),
        output:
            categories="results/forum/categories.parquet",
            topics="results/forum/topics.parquet",
            posts="results/forum/posts.parquet",
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
        input:
            topics="results/forum/topics.parquet",
            posts="results/forum/posts.parquet",
        output:
            topics_per_category="results/forum/topics_per_category_monthly.parquet",
            posts_per_topic="results/forum/posts_per_topic.parquet",
            accepted_answers="results/forum/accepted_answers.parquet",
            summary="results/forum/summary.parquet",
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

    rule plot_topics_per_category:
        input:
            monthly="results/forum/topics_per_category_monthly.parquet",
        output:
            **figure_files("topics_per_category"),
        log:
            "logs/plot_topics_per_category.log",
        benchmark:
            "benchmarks/plot_topics_per_category.tsv"
        conda:
            "../envs/hfreuse.yaml"
        params:
            top_n=config["forum"]["top_categories"],
            width=config["figures"]["width"],
            height=config["figures"]["height"],
            synthetic=config["source"] == "demo",
        script:
            "../scripts/plot_topics_per_category.py"

    rule plot_beginners_vs_intermediate:
        input:
            monthly="results/forum/topics_per_category_monthly.parquet",
        output:
            **figure_files("beginners_vs_intermediate"),
        log:
            "logs/plot_beginners_vs_intermediate.log",
        benchmark:
            "benchmarks/plot_beginners_vs_intermediate.tsv"
        conda:
            "../envs/hfreuse.yaml"
        params:
            categories=config["forum"]["compare_categories"],
            width=config["figures"]["width"],
            height=config["figures"]["height"],
            synthetic=config["source"] == "demo",
        script:
            "../scripts/plot_beginners_vs_intermediate.py"

    rule plot_posts_per_topic:
        input:
            distribution="results/forum/posts_per_topic.parquet",
        output:
            **figure_files("posts_per_topic"),
        log:
            "logs/plot_posts_per_topic.log",
        benchmark:
            "benchmarks/plot_posts_per_topic.tsv"
        conda:
            "../envs/hfreuse.yaml"
        params:
            width=config["figures"]["width"],
            height=config["figures"]["height"],
            synthetic=config["source"] == "demo",
        script:
            "../scripts/plot_posts_per_topic.py"

    rule plot_accepted_answers:
        input:
            table="results/forum/accepted_answers.parquet",
        output:
            **figure_files("accepted_answers"),
        log:
            "logs/plot_accepted_answers.log",
        benchmark:
            "benchmarks/plot_accepted_answers.tsv"
        conda:
            "../envs/hfreuse.yaml"
        params:
            width=config["figures"]["width"],
            height=config["figures"]["height"],
            synthetic=config["source"] == "demo",
        script:
            "../scripts/plot_accepted_answers.py"
