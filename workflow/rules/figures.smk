# Figures: Altair charts saved as inline HTML, SVG, PNG and the Vega-Lite spec.


rule plot_hub_model_types:
    input:
        monthly="results/trends/hub_model_types_monthly.parquet",
    output:
        **figure_files("hub_model_types"),
    log:
        "logs/plot_hub_model_types.log",
    benchmark:
        "benchmarks/plot_hub_model_types.tsv"
    conda:
        "../envs/hfreuse.yaml"
    params:
        top_n=config["figures"]["top_n"],
        width=config["figures"]["width"],
        height=config["figures"]["height"],
        synthetic=config["source"] == "demo",
    script:
        "../scripts/plot_hub_model_types.py"


rule plot_card_share:
    input:
        monthly="results/trends/card_share_monthly.parquet",
    output:
        **figure_files("card_share"),
    log:
        "logs/plot_card_share.log",
    benchmark:
        "benchmarks/plot_card_share.tsv"
    conda:
        "../envs/hfreuse.yaml"
    params:
        width=config["figures"]["width"],
        height=config["figures"]["height"],
        synthetic=config["source"] == "demo",
    script:
        "../scripts/plot_card_share.py"
