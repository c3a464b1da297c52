# Helper functions only (no rules): paths and targets that depend on the configured source.


def check_config(cfg, schema_path):
    """Validate the config against the schema with one clear line per bad key, then fill defaults."""
    import jsonschema
    import yaml
    from snakemake.utils import validate

    with open(schema_path) as fh:
        schema = yaml.safe_load(fh)
    problems = []
    for err in jsonschema.Draft202012Validator(schema).iter_errors(cfg):
        key = ".".join(str(p) for p in err.absolute_path)
        if err.validator == "additionalProperties":
            allowed = sorted(err.schema.get("properties", {}))
            for extra in sorted(set(err.instance) - set(allowed)):
                name = f"{key}.{extra}" if key else extra
                problems.append(
                    f"{name}: unknown key (allowed here: {', '.join(allowed)})"
                )
        else:
            problems.append(f"{key or '<top level>'}: {err.message}")
    if problems:
        raise ValueError(
            "invalid configuration (config/config.yaml plus any --configfile/--config):\n  "
            + "\n  ".join(sorted(problems))
        )
    validate(cfg, schema_path)


def raw_dir():
    """The raw snapshot folder of this run (crawled or generated)."""
    return f"resources/raw/{config['snapshot']}"


def card_shard_ids():
    """Static card shards: '00-of-04', '01-of-04', ..."""
    n = config["hub"]["card_shards"]
    return [f"{k:02d}-of-{n:02d}" for k in range(n)]


def hub_raw_inputs(wildcards):
    """Completion markers of the raw Hub snapshot: the list manifest and every card shard."""
    return {
        "manifest": f"{raw_dir()}/hub/manifest.json",
        "card_manifests": expand(
            "{raw}/hub/cards/shard-{shard}.json", raw=raw_dir(), shard=card_shard_ids()
        ),
    }


def hub_parse_parts():
    """Static shards of the Hub parse: list pages are dealt to them round-robin."""
    n = config["hub"]["parse_shards"]
    return [f"results/hub/parts/models-{k:02d}-of-{n:02d}.parquet" for k in range(n)]


def figure_files(name):
    return {
        "html": f"results/figures/{name}.html",
        "svg": f"results/figures/{name}.svg",
        "png": f"results/figures/{name}.png",
        "spec": f"results/figures/{name}.json",
    }


def figures_targets(names):
    return [path for name in names for path in figure_files(name).values()]


def hub_targets():
    """Hub stage: tidy models table (crawled or demo sources), trends and figures (all sources)."""
    targets = []
    if config["source"] in ("demo", "live"):
        targets.append("results/hub/models.parquet")
    targets += [
        "results/trends/hub_model_types_monthly.parquet",
        "results/trends/card_share_monthly.parquet",
    ]
    return targets + figures_targets(["hub_model_types", "card_share"])


def forum_targets():
    """Forum stage: tidy tables, statistics and figures (crawled or demo forum; paper has none)."""
    if config["source"] not in ("demo", "live"):
        return []
    tables = [
        "categories",
        "topics",
        "posts",
        "topics_per_category_monthly",
        "posts_per_topic",
        "accepted_answers",
        "summary",
    ]
    figures = [
        "topics_per_category",
        "beginners_vs_intermediate",
        "posts_per_topic",
        "accepted_answers",
    ]
    return [f"results/forum/{t}.parquet" for t in tables] + figures_targets(figures)


def coding_targets():
    """Qualitative coding stage: what the configured source can produce.

    demo: sample and sheets, simulated coders, import, agreement, taxonomy and figures.
    live: sample and sheets; the rest once coding.filled_dir and coding.codebook are set.
    paper: the package's codebook, coded topics, Overview counts and root causes, the taxonomy
    and figures (no sample, no second coder: no agreement, no counts by forum category).
    """
    source = config["source"]
    targets = []
    if source in ("demo", "live"):
        targets += [
            "results/coding/sample.parquet",
            "results/coding/sample_design.parquet",
        ]
        targets += coding_sheet_files("csv") + coding_sheet_files("xlsx")
    if not coding_imported():
        return targets
    targets += [
        "results/coding/codebook.parquet",
        "results/coding/codes.parquet",
        "results/coding/root_causes.parquet",
        "results/coding/taxonomy_counts.parquet",
        "results/coding/root_cause_counts.parquet",
    ]
    if source == "paper":
        targets.append("results/coding/published_counts.parquet")
    else:
        targets += [
            "results/coding/agreement.parquet",
            "results/coding/taxonomy_by_forum_category.parquet",
        ]
    return targets + figures_targets(CODING_FIGURES)


def rq3_targets():
    """RQ3: forum mentions (demo, live) or the package's monthly matrices (paper), statistics,
    the reproduction table (paper) and the RQ3 figures."""
    targets = ["results/trends/forum_model_mentions_monthly.parquet"]
    if config["source"] == "paper":
        targets += [
            "results/trends/hub_model_types_monthly.parquet",
            "results/trends/card_share_monthly.parquet",
            "results/stats/reproduction.csv",
        ]
    else:
        targets.append("results/mentions/topic_mentions.parquet")
    targets += [f"results/stats/{table}.parquet" for table in RQ3_STATS]
    return targets + figures_targets(["forum_mentions", "forum_vs_hub"])


def report_targets():
    """The study report: one self-contained HTML file over every other target."""
    return ["results/report.html"]


def final_targets():
    """What `snakemake` builds by default, by source."""
    return sorted(
        set(
            hub_targets()
            + forum_targets()
            + coding_targets()
            + rq3_targets()
            + report_targets()
        )
    )


# --- paper source ---


def paper_file(relpath):
    """A file of the replication package, in its published layout."""
    return f"{paper_package_dir()}/Replication Package/{relpath}"


# --- forum helpers ---


def forum_manifest():
    """Completion marker of this run's raw forum snapshot (crawled or generated)."""
    return f"{raw_dir()}/forum/manifest.json"


def forum_parse_parts(kind):
    """The static shards of the forum parse ('topics' or 'posts' parts): a stable hash of the
    topic id deals the listed topics to forum.parse_shards shards."""
    n = config["forum"]["parse_shards"]
    return [f"results/forum/parts/{kind}-{k:02d}-of-{n:02d}.parquet" for k in range(n)]


# --- coding helpers ---

CODING_FIGURES = [
    "challenges_sunburst",
    "benefits_sunburst",
    "root_causes_sunburst",
    "challenges_bar",
    "benefits_bar",
    "root_causes_by_challenge",
]

# Files of the replication package the workflow reads (coding and RQ3), in its published layout.
PAPER_PACKAGE_FILES = [
    "Codebooks/Challenges.csv",
    "Codebooks/Benefits.csv",
    "Codebooks/Codebook.xlsx",
    "Coded Data/All_Codes.csv",
    "Coded Data/Root_Causes.csv",
    "Mined Data/Discussion Forums/Forums_Model_Mentions_Over_Time.csv",
    "Mined Data/Model Hub/Hub_Model_Types_Over_Time_Created.csv",
    "Mined Data/Model Hub/card_data_stats_months_created.csv",
]


def paper_package_dir():
    """Folder holding 'Replication Package/': paper.replication_dir when it has one, else (with
    paper.download) the snapshot's download resources/raw/<snapshot>/replication."""
    from pathlib import Path

    configured = config["paper"]["replication_dir"]
    if (Path(configured) / "Replication Package").is_dir():
        return configured
    if not config["paper"]["download"]:
        return configured
    return f"{raw_dir()}/replication"


def paper_package_download():
    """True when the replication package has to be downloaded (rule fetch_replication_package)."""
    return paper_package_dir() != config["paper"]["replication_dir"]


def coding_paper_file(relpath):
    """A file of the replication package (configured folder or the snapshot's download)."""
    return f"{paper_package_dir()}/Replication Package/{relpath}"


def coding_sheet_files(ext):
    coders = config["coding"]["coders"]
    return [f"results/coding/sheets/{coder}.{ext}" for coder in coders]


def coding_topic_url(wildcards):
    """The topic URL template ({slug}, {topic_id}), as a function so that Snakemake does not
    take its braces for wildcards."""
    template = config["coding"]["topic_url"]
    if template is None:
        base = config.get("forum", {}).get("base_url", "https://discuss.huggingface.co")
        template = "{base}/t/{{slug}}/{{topic_id}}".format(base=base.rstrip("/"))
    return template


def coding_filled_files():
    """The coders' filled sheets, in the order of coding.coders."""
    from pathlib import Path

    if config["source"] == "demo":
        coders = config["coding"]["coders"]
        return [f"{raw_dir()}/coding/filled/{c}.csv" for c in coders]
    folder = Path(config["coding"]["filled_dir"])
    files = []
    for coder in config["coding"]["coders"]:
        xlsx = folder / f"{coder}.xlsx"
        files.append(str(xlsx if xlsx.exists() else folder / f"{coder}.csv"))
    return files


def coding_codebook_file():
    if config["source"] == "demo":
        return f"{raw_dir()}/coding/codebook.csv"
    return config["coding"]["codebook"]


def coding_imported():
    """Whether this run has coded data to import (and so agreement, taxonomy and figures)."""
    if config["source"] == "live":
        return bool(config["coding"]["filled_dir"] and config["coding"]["codebook"])
    return True


def coding_figure_outputs(sunburst, bar):
    """Named outputs of a job drawing a sunburst and a bar chart: sunburst_html, ..., bar_spec."""
    files = {}
    for role, name in (("sunburst", sunburst), ("bar", bar)):
        for key, path in figure_files(name).items():
            files[f"{role}_{key}"] = path
    return files


def coding_taxonomy_inputs(wildcards):
    inputs = {
        "codebook": "results/coding/codebook.parquet",
        "codes": "results/coding/codes.parquet",
        "root_causes": "results/coding/root_causes.parquet",
    }
    if config["source"] == "paper":
        inputs["published_counts"] = "results/coding/published_counts.parquet"
    return inputs


def coding_source_note():
    """One line naming where the coded data come from (figure subtitles)."""
    if config["source"] == "paper":
        return "source: the study's replication package (SANER 2024)"
    if config["source"] == "demo":
        return f"source: simulated coders on the demo forum sample (snapshot {config['snapshot']})"
    return f"source: coded forum sample (snapshot {config['snapshot']})"


# --- rq3 helpers ---

RQ3_STATS = [
    "model_totals",
    "totals_correlation",
    "monthly_correlation",
    "model_trends",
    "declining_rising",
    "card_share_trend",
]


def mention_shard_files():
    """The static shards of the mention matching: '00-of-04', ... (a stable hash of topic ids)."""
    n = config["mentions"]["shards"]
    return [f"results/mentions/shards/{k:02d}-of-{n:02d}.parquet" for k in range(n)]


# --- report helpers ---


def report_outputs():
    """Every target of the run except the report itself (data-driven: whatever the stages list)."""
    return [t for t in final_targets() if t not in report_targets()]


def study_tables():
    """The run's tables (parquet, CSV), sorted: what summarize_study reads (not the report's own)."""
    return sorted(t for t in report_outputs() if t.endswith((".parquet", ".csv")))


def report_raw_manifests():
    """Completion manifests of the raw snapshot folders this run reads (none in paper mode)."""
    if config["source"] == "paper":
        return []
    outputs = report_outputs()
    manifests = []
    if "results/hub/models.parquet" in outputs:
        hub = hub_raw_inputs(None)
        manifests += [hub["manifest"], *hub["card_manifests"]]
    if any(t.startswith("results/forum/") for t in outputs):
        manifests.append(f"{raw_dir()}/forum/manifest.json")
    return sorted(manifests)


def report_inputs(wildcards):
    """Named inputs of build_report: figures (SVG + spec), tables, other outputs, manifests,
    captions of the figures that have one, the data dictionary and the style sheet."""
    from pathlib import Path

    outputs = report_outputs()
    figures = sorted(
        t for t in outputs if t.startswith("results/figures/") and t.endswith(".svg")
    )
    specs = sorted(
        t for t in outputs if t.startswith("results/figures/") and t.endswith(".json")
    )
    tables = sorted(t for t in outputs if t.endswith((".parquet", ".csv")))
    names = [Path(f).stem for f in figures]
    captions = [f"workflow/report/{n}.rst" for n in names]
    return {
        "figures": figures,
        "specs": specs,
        "tables": tables,
        "others": sorted(set(outputs) - set(figures) - set(specs) - set(tables)),
        "manifests": report_raw_manifests(),
        "captions": [c for c in captions if Path(c).exists()],
        "dictionary": sorted(
            str(p) for p in Path("workflow/report/dictionary").glob("*.yaml")
        ),
        "style": "workflow/report/report.css",
        "summary": "results/report/summary.parquet",
    }


# --- cluster helpers ---


def card_resolves_per_minute():
    """One README fetch job's share of the resolve quota: resolves_per_minute / cluster.card_jobs.

    At most card_jobs card jobs run at once (the resource hf_resolve, capped at that number), so
    together they never exceed the one per-window quota, locally or on cluster nodes. The cap is
    checked where it is known, in the submitting Snakemake process (a job on a node has none).
    """
    jobs = config["cluster"]["card_jobs"]
    if not (workflow.remote_exec or workflow.subprocess_exec):
        cap = workflow.global_resources.get("hf_resolve")
        cap = None if cap is None else cap.value
        if cap is None or cap > jobs:
            capped = "not capped" if cap is None else f"capped at {cap}"
            raise WorkflowError(
                f"cluster.card_jobs is {jobs}, so each README fetch job paces itself at 1/{jobs} "
                f"of hub.resolves_per_minute, but the resource hf_resolve is {capped}: more card "
                f"jobs would run at once and together exceed the quota. Cap it at {jobs} "
                f"(--resources hf_resolve={jobs}, or resources: in the profile)."
            )
    return config["hub"]["resolves_per_minute"] / jobs
