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
    return f"{config['paper']['replication_dir']}/Replication Package/{relpath}"


# --- forum helpers ---


# --- coding helpers ---


# --- rq3 helpers ---


# --- report helpers ---


def report_outputs():
    """Every target of the run except the report itself (data-driven: whatever the stages list)."""
    return [t for t in final_targets() if t not in report_targets()]


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
    }

# --- cluster helpers ---
