# RQ3: model mentions in the forum vs model uploads on the Hub, per-model trends, the card-share
# trend, the paper's claims (source paper) and the RQ3 figures.


if config["source"] != "paper":

    rule match_model_mentions:
        input:
            topics="results/forum/topics.parquet",
            posts="results/forum/posts.parquet",
            models="results/hub/models.parquet",
            aliases=config["mentions"]["aliases"],
        output:
            mentions="results/mentions/shards/{shard}.parquet",
        log:
            "logs/match_model_mentions/{shard}.log",
        benchmark:
            "benchmarks/match_model_mentions/{shard}.tsv"
        wildcard_constraints:
            shard=r"\d+-of-\d+",
        conda:
            "../envs/hfreuse.yaml"
        threads: 1
        resources:
            mem_mb=2000,
        params:
            shard="{shard}",
            ambiguous=config["mentions"]["ambiguous"],
            context_after=config["mentions"]["context_after"],
            context_before=config["mentions"]["context_before"],
        script:
            "../scripts/match_model_mentions.py"

    rule count_model_mentions:
        input:
            shards=mention_shard_files(),
            topics="results/forum/topics.parquet",
            models="results/hub/models.parquet",
        output:
            topic_mentions="results/mentions/topic_mentions.parquet",
            monthly="results/trends/forum_model_mentions_monthly.parquet",
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


if config["source"] == "paper":

    rule import_paper_trends:
        input:
            forum_csv=paper_file(
                "Mined Data/Discussion Forums/Forums_Model_Mentions_Over_Time.csv"
            ),
            hub_csv=paper_file(
                "Mined Data/Model Hub/Hub_Model_Types_Over_Time_Created.csv"
            ),
            card_csv=paper_file(
                "Mined Data/Model Hub/card_data_stats_months_created.csv"
            ),
        output:
            mentions="results/trends/forum_model_mentions_monthly.parquet",
            model_types="results/trends/hub_model_types_monthly.parquet",
            card_share="results/trends/card_share_monthly.parquet",
        log:
            "logs/import_paper_trends.log",
        benchmark:
            "benchmarks/import_paper_trends.tsv"
        conda:
            "../envs/hfreuse.yaml"
        script:
            "../scripts/import_paper_trends.py"

    rule compare_paper_claims:
        input:
            correlation="results/stats/totals_correlation.parquet",
            trends="results/stats/model_trends.parquet",
            declining="results/stats/declining_rising.parquet",
            card_trend="results/stats/card_share_trend.parquet",
        output:
            reproduction_csv="results/stats/reproduction.csv",
        log:
            "logs/compare_paper_claims.log",
        conda:
            "../envs/hfreuse.yaml"
        params:
            alpha=config["stats"]["alpha"],
            strong_rho=config["stats"]["strong_rho"],
        script:
            "../scripts/compare_paper_claims.py"


rule compute_mention_correlations:
    input:
        forum="results/trends/forum_model_mentions_monthly.parquet",
        hub="results/trends/hub_model_types_monthly.parquet",
    output:
        totals="results/stats/model_totals.parquet",
        correlation="results/stats/totals_correlation.parquet",
        monthly="results/stats/monthly_correlation.parquet",
    log:
        "logs/compute_mention_correlations.log",
    benchmark:
        "benchmarks/compute_mention_correlations.tsv"
    conda:
        "../envs/hfreuse.yaml"
    params:
        exclude_partial_months=config["stats"]["exclude_partial_months"],
        exclude_floor_month=config["stats"]["exclude_floor_month"],
        min_topics=config["stats"]["min_topics"],
        min_models=config["stats"]["min_models"],
        major_models=config["stats"]["major_models"],
        min_model_total=config["stats"]["min_model_total"],
        alpha=config["stats"]["alpha"],
    script:
        "../scripts/compute_mention_correlations.py"


rule compute_model_trends:
    input:
        forum="results/trends/forum_model_mentions_monthly.parquet",
        hub="results/trends/hub_model_types_monthly.parquet",
    output:
        trends="results/stats/model_trends.parquet",
        declining="results/stats/declining_rising.parquet",
    log:
        "logs/compute_model_trends.log",
    benchmark:
        "benchmarks/compute_model_trends.tsv"
    conda:
        "../envs/hfreuse.yaml"
    params:
        exclude_partial_months=config["stats"]["exclude_partial_months"],
        exclude_floor_month=config["stats"]["exclude_floor_month"],
        min_model_total=config["stats"]["min_model_total"],
        alpha=config["stats"]["alpha"],
    script:
        "../scripts/compute_model_trends.py"


rule compute_card_share_trend:
    input:
        card_share="results/trends/card_share_monthly.parquet",
    output:
        trend="results/stats/card_share_trend.parquet",
    log:
        "logs/compute_card_share_trend.log",
    benchmark:
        "benchmarks/compute_card_share_trend.tsv"
    conda:
        "../envs/hfreuse.yaml"
    params:
        split_month=config["stats"]["card_split_month"],
        exclude_partial_months=config["stats"]["exclude_partial_months"],
        exclude_floor_month=config["stats"]["exclude_floor_month"],
        alpha=config["stats"]["alpha"],
    script:
        "../scripts/compute_card_share_trend.py"


rule plot_forum_mentions:
    input:
        monthly="results/trends/forum_model_mentions_monthly.parquet",
    output:
        **figure_files("forum_mentions"),
    log:
        "logs/plot_forum_mentions.log",
    benchmark:
        "benchmarks/plot_forum_mentions.tsv"
    conda:
        "../envs/hfreuse.yaml"
    params:
        top_n=config["figures"]["top_n"],
        width=config["figures"]["width"],
        height=config["figures"]["height"],
        synthetic=config["source"] == "demo",
    script:
        "../scripts/plot_forum_mentions.py"


rule plot_forum_vs_hub:
    input:
        totals="results/stats/model_totals.parquet",
        correlation="results/stats/totals_correlation.parquet",
    output:
        **figure_files("forum_vs_hub"),
    log:
        "logs/plot_forum_vs_hub.log",
    benchmark:
        "benchmarks/plot_forum_vs_hub.tsv"
    conda:
        "../envs/hfreuse.yaml"
    params:
        top_n=config["figures"]["top_n"],
        width=config["figures"]["width"],
        height=config["figures"]["height"],
        synthetic=config["source"] == "demo",
    script:
        "../scripts/plot_forum_vs_hub.py"
