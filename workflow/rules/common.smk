# Helper functions only (no rules): the run's source, shards, tables, targets, figures. The
# helpers of one stage stand at the top of its rule file (coding, summary, report).
import sys, yaml
from glob import glob

sys.path.insert(0, f"{workflow.basedir}/workflow/scripts")
from hfreuse.config_check import check_card_jobs_cap, check_config, config_warnings
from hfreuse.config_check import keep_impossible_yaml_dates
from hfreuse.figures import builder_args, figure_paths, figure_style, load_registry
from hfreuse.products import check_tables, halves_products

# --- the run's source (set once by workflow/rules/sources/<source>.smk) ---

SOURCE = {}


def define_source(**settings):
    """The source's settings: provides (products of workflow/products.yaml), synthetic,
    raw_manifests, filled_sheets, codebook, coding_note (figure subtitles)."""
    SOURCE.update(settings)


def provides(*products):
    return all(p in SOURCE["provides"] for p in products)


def raw_dir():
    """The raw snapshot folder of this run (crawled or generated)."""
    return f"resources/raw/{config['snapshot']}"


def raw_manifests(halves):
    """The manifests of the raw snapshot's halves ("hub", "forum"): what the report's run
    manifest presents."""
    hub = [
        f"{raw_dir()}/hub/manifest.json",
        *hub_card_markers(),
        *hub_card_markers("history"),
    ]
    hub += [f"{raw_dir()}/hub/card_history/manifest.json"]
    forum = [f"{raw_dir()}/forum/manifest.json"]
    return (hub if "hub" in halves else []) + (forum if "forum" in halves else [])


# --- shards: Snakemake's scatter/gather; a job's shard index comes from its scatter item ---


def shard_index(name):
    """Params function: the 0-based index of the job's {scatteritem} among `name`'s items."""
    items = getattr(scatter, name)("{scatteritem}")
    return lambda wildcards: items.index(wildcards.scatteritem)


def hub_card_markers(kind="cards"):
    """Completion markers of the raw Hub snapshot's README (or "history") shards, gathered."""
    shards = getattr(gather, f"hub_{kind}")
    return shards(f"{raw_dir()}/hub/{kind}/shard-{{scatteritem}}.json")


# --- tables: every table of the study, declared once (workflow/products.yaml) ---

with open("workflow/products.yaml") as fh:
    PRODUCTS = yaml.safe_load(fh)
TABLES = check_tables(PRODUCTS, "workflow/products.yaml")  # table name -> path
FIGURES_DIR = "results/figures"


def table(name):
    """The path of the table `name` (workflow/products.yaml): what rules read and write."""
    if name not in TABLES:
        raise ValueError(f"workflow/products.yaml: no table named {name!r}")
    return TABLES[name]


def provided_tables():
    """The tables this run's source leads to: name -> path, of the products it provides."""
    return {t: TABLES[t] for p in SOURCE["provides"] for t in PRODUCTS[p]}


def coding_sheets(ext):
    return expand(table(f"coding_sheets_{ext}"), coder=config["coding"]["coders"])


def coded_sheets(folder):
    """Each coder's filled sheet in `folder`: <coder>.xlsx where it exists, else <coder>.csv."""
    files = [f"{folder}/{c}" for c in config["coding"]["coders"] if folder]
    return [f"{f}.xlsx" if os.path.exists(f"{f}.xlsx") else f"{f}.csv" for f in files]


def table_targets():
    """Every table this run's source leads to (the tables of the products it provides)."""
    tables = expand(list(provided_tables().values()), coder=config["coding"]["coders"])
    return sorted(set(tables))


# --- figures: the registry workflow/figures.yaml ---

FIGURES = load_registry("workflow/figures.yaml", "workflow/report/captions")


def figure_inputs(name):
    """The tables one figure reads: builder argument -> path (its optional tables where this
    run provides them)."""
    have = provided_tables()
    optional = {a: t for a, t in FIGURES[name]["optional"].items() if t in have}
    return {arg: table(t) for arg, t in (FIGURES[name]["inputs"] | optional).items()}


def figure_absent(name):
    """The builder arguments of the figure's optional tables this run does not provide."""
    return sorted(set(FIGURES[name]["optional"]) - set(figure_inputs(name)))


def run_figures():
    """The registry's figures this run can draw (every table they read is provided), in
    registry order."""
    have = provided_tables()
    return [n for n, fig in FIGURES.items() if set(fig["inputs"].values()) <= set(have)]


def figure_files(name):
    """The files of one figure, named as the plot script's outputs (by figures.style)."""
    return figure_paths(FIGURES_DIR, name, figure_style(config))


def figure_args(name):
    return builder_args(FIGURES[name], config, SOURCE)


def study_files():
    """The run's tables and figures (what the report presents)."""
    figures = [path for name in run_figures() for path in figure_files(name).values()]
    return sorted(set(table_targets() + figures))


def final_targets():
    """What `snakemake` builds by default: the tables, figures, tables for papers, report."""
    return study_files() + paper_files() + [rules.build_report.output.report]


def card_resolves_per_minute():
    """One README fetch job's share of the resolve quota (hub.resolves_per_minute over
    cluster.card_jobs); the cap of hf_resolve is checked where it is known, in the submitting
    Snakemake process (a job on a node has none)."""
    jobs = config["cluster"]["card_jobs"]
    if not (workflow.remote_exec or workflow.subprocess_exec):
        cap = workflow.global_resources.get("hf_resolve")
        check_card_jobs_cap(jobs, None if cap is None else cap.value)
    return config["hub"]["resolves_per_minute"] / jobs
