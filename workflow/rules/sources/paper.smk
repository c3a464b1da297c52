# Source paper: the authors' replication package. It has no per-post or per-model data, so RQ3
# starts from its monthly matrices and RQ1/RQ2 from its codebooks, Overview counts and coded
# topics; there is no sample, no second coder and no forum table. Its rules take precedence over
# the shared rules that would derive the same tables from raw data.

PAPER_DOWNLOAD = config["paper"]["download"] and not os.path.isdir(
    f"{config['paper']['replication_dir']}/Replication Package"
)
PAPER_DIR = (
    f"{raw_dir()}/replication/Replication Package"
    if PAPER_DOWNLOAD
    else f"{config['paper']['replication_dir']}/Replication Package"
)
PAPER_FILES = {
    "challenges_csv": "Codebooks/Challenges.csv",
    "benefits_csv": "Codebooks/Benefits.csv",
    "overview_xlsx": "Codebooks/Codebook.xlsx",
    "all_codes_csv": "Coded Data/All_Codes.csv",
    "root_causes_csv": "Coded Data/Root_Causes.csv",
    "forum_csv": "Mined Data/Discussion Forums/Forums_Model_Mentions_Over_Time.csv",
    "hub_csv": "Mined Data/Model Hub/Hub_Model_Types_Over_Time_Created.csv",
    "card_csv": "Mined Data/Model Hub/card_data_stats_months_created.csv",
}


define_source(
    synthetic=False,
    provides=[
        "hub_trends",
        "mention_trends",
        "coded",
        "published_counts",
        "reproduction",
        "claims",
    ],
    raw_manifests=[],
    filled_sheets=[],
    codebook=None,
    coding_note="source: the study's replication package (SANER 2024)",
)


ruleorder: import_paper_coding > import_coding
ruleorder: import_paper_trends > count_hub_model_types
ruleorder: import_paper_trends > count_card_share
ruleorder: import_paper_trends > count_model_mentions


if PAPER_DOWNLOAD:

    rule fetch_replication_package:
        """Download the public archive of the replication package and keep the files the study
        reads (paper.download, when paper.replication_dir does not hold the package).
        """
        output:
            manifest=f"{raw_dir()}/replication/manifest.json",
            files=[f"{PAPER_DIR}/{f}" for f in PAPER_FILES.values()],
        log:
            "logs/fetch_replication_package.log",
        benchmark:
            "benchmarks/fetch_replication_package.tsv"
        retries: 2
        localrule: True
        conda:
            "../../envs/hfreuse.yaml"
        threads: 1
        resources:
            mem_mb=2000,
        params:
            url=config["paper"]["archive_url"],
            members=list(PAPER_FILES.values()),
        script:
            "../../scripts/fetch_replication_package.py"


rule import_paper_coding:
    """Import the study's codebooks, Overview counts, coded topics and root causes, with the
    documented mappings of the package's spellings."""
    input:
        **{k: f"{PAPER_DIR}/{PAPER_FILES[k]}" for k in list(PAPER_FILES)[:5]},
        mappings="workflow/resources/paper/coding_mappings.yaml",
    output:
        codebook=table("codebook"),
        codes=table("codes"),
        root_causes=table("root_causes"),
        published_counts=table("published_counts"),
    log:
        "logs/import_paper_coding.log",
    benchmark:
        "benchmarks/import_paper_coding.tsv"
    conda:
        "../../envs/hfreuse.yaml"
    threads: 1
    resources:
        mem_mb=2000,
    script:
        "../../scripts/import_paper_coding.py"


rule import_paper_trends:
    """Import the study's monthly matrices: forum mentions and Hub uploads per model type, and
    models with card data per creation month."""
    input:
        **{k: f"{PAPER_DIR}/{PAPER_FILES[k]}" for k in list(PAPER_FILES)[5:]},
    output:
        mentions=table("forum_model_mentions_monthly"),
        model_types=table("hub_model_types_monthly"),
        card_share=table("card_share_monthly"),
    log:
        "logs/import_paper_trends.log",
    benchmark:
        "benchmarks/import_paper_trends.tsv"
    conda:
        "../../envs/hfreuse.yaml"
    script:
        "../../scripts/import_paper_trends.py"


rule compare_paper_claims:
    """Put each RQ3 claim of the paper next to this run's number (a CSV table): the RQ3 rows of
    the claims table (rule evaluate_paper_claims)."""
    input:
        claims=table("claims"),
    output:
        reproduction_csv=table("reproduction"),
    log:
        "logs/compare_paper_claims.log",
    conda:
        "../../envs/hfreuse.yaml"
    script:
        "../../scripts/compare_paper_claims.py"
