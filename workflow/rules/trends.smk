# Trends: monthly tables from the tidy tables (hub model types, card share).


if config["source"] != "paper":

    rule count_hub_model_types:
        input:
            models="results/hub/models.parquet",
        output:
            monthly="results/trends/hub_model_types_monthly.parquet",
        log:
            "logs/count_hub_model_types.log",
        benchmark:
            "benchmarks/count_hub_model_types.tsv"
        conda:
            "../envs/hfreuse.yaml"
        params:
            floored_models=config["trends"]["floored_models"],
            start_month=config["trends"]["start_month"],
            end_month=config["trends"]["end_month"],
        script:
            "../scripts/count_hub_model_types.py"

    rule count_card_share:
        input:
            models="results/hub/models.parquet",
        output:
            monthly="results/trends/card_share_monthly.parquet",
        log:
            "logs/count_card_share.log",
        benchmark:
            "benchmarks/count_card_share.tsv"
        conda:
            "../envs/hfreuse.yaml"
        params:
            floored_models=config["trends"]["floored_models"],
            start_month=config["trends"]["start_month"],
            end_month=config["trends"]["end_month"],
        script:
            "../scripts/count_card_share.py"
