# Helper functions only (no rules): paths and targets that depend on the configured source.


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
    """Forum stage (issue: forum)."""
    return []


def coding_targets():
    """Qualitative coding stage (issue: coding)."""
    return []


def rq3_targets():
    """Mentions, statistics and RQ3 figures (issue: RQ3)."""
    return []


def report_targets():
    """The study report (issue: report)."""
    return []


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
    return f"{config['paper']['replication_dir']}/Replication Package/{relpath}"


# --- forum helpers ---


# --- coding helpers ---


# --- rq3 helpers ---


# --- report helpers ---

# --- cluster helpers ---
