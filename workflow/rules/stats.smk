# Statistics (RQ3): Spearman correlations of forum mentions and Hub uploads, per-model trends
# (Mann-Kendall, Sen), declining-but-rising models, the card-share trend.


rule compute_mention_correlations:
    """Spearman correlation of forum topics and Hub uploads per model type over the whole period
    (all and major models) and per model over months (Benjamini-Hochberg adjusted)."""
    input:
        forum=table("forum_model_mentions_monthly"),
        hub=table("hub_model_types_monthly"),
    output:
        totals=table("model_totals"),
        correlation=table("totals_correlation"),
        monthly=table("monthly_correlation"),
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
    """Mann-Kendall trend and Sen slope of forum topics and Hub uploads per model type; the models
    whose topics decline while their uploads rise."""
    input:
        forum=table("forum_model_mentions_monthly"),
        hub=table("hub_model_types_monthly"),
    output:
        trends=table("model_trends"),
        declining=table("declining_rising"),
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
    """Mann-Kendall trend of the monthly share of models with card data, and Mann-Whitney of the
    share before and after stats.card_split_month (months of fewer than
    stats.min_models_per_month models left out, and counted)."""
    input:
        card_share=table("card_share_monthly"),
    output:
        trend=table("card_share_trend"),
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
        min_models_per_month=config["stats"]["min_models_per_month"],
    script:
        "../scripts/compute_card_share_trend.py"


rule compute_date_sensitivity:
    """Every RQ3 statistic computed on the Hub's floored createdAt and on the first-commit
    dates, side by side (how much the true creation dates change the study)."""
    input:
        models=table("hub_models"),
        forum=table("forum_model_mentions_monthly"),
    output:
        sensitivity=table("date_sensitivity"),
    log:
        "logs/compute_date_sensitivity.log",
    benchmark:
        "benchmarks/compute_date_sensitivity.tsv"
    conda:
        "../envs/hfreuse.yaml"
    threads: 1
    resources:
        mem_mb=2000,
    params:
        floored_models=config["trends"]["floored_models"],
        start_month=config["trends"]["start_month"],
        end_month=config["trends"]["end_month"],
        stats=config["stats"],
    script:
        "../scripts/compute_date_sensitivity.py"


rule evaluate_paper_claims:
    """Do the paper's findings hold? Each claim of the paper (the three RQ3 claims, the top
    challenge and benefit categories) with the paper's value and scope, this run's value at
    that scope, the test, p, verdict and n; a claim whose tables the run lacks is "not
    evaluated", with the reason."""
    input:
        unpack(claims_inputs),
    output:
        claims=table("claims"),
        claims_csv=table("claims_csv"),
    log:
        "logs/evaluate_paper_claims.log",
    benchmark:
        "benchmarks/evaluate_paper_claims.tsv"
    conda:
        "../envs/hfreuse.yaml"
    threads: 1
    resources:
        mem_mb=2000,
    params:
        alpha=config["stats"]["alpha"],
        strong_rho=config["stats"]["strong_rho"],
    script:
        "../scripts/evaluate_paper_claims.py"
