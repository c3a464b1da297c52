# hfreuse: rerun "Deep Learning Model Reuse in the HuggingFace Community" (SANER 2024).
# Thin by design: configuration, validation, shards, the source, the stage files, the default
# target. The source file (workflow/rules/sources/<source>.smk) is the only place that knows
# where the data come from.
from snakemake.utils import min_version, validate

min_version("9")


include: "workflow/rules/common.smk"
include: "workflow/rules/inputs.smk"


# an unquoted impossible date (2024-02-30) is read as text, so that check_config names its key
keep_impossible_yaml_dates()


configfile: "config/config.yaml"


# one clear line per bad key; first writes unquoted YAML dates back as ISO strings, for validate
check_config(config, "workflow/schemas/config.schema.yaml")
validate(config, "workflow/schemas/config.schema.yaml")  # fills the defaults
for warning in config_warnings(config):  # valid settings that have no effect here
    print(f"warning: {warning}", file=sys.stderr)


report: "workflow/report/workflow.rst"


scattergather:
    hub_parse=config["hub"]["parse_shards"],
    hub_cards=config["hub"]["card_shards"],
    hub_history=config["hub"]["history_shards"],
    forum_parse=config["forum"]["parse_shards"],
    mentions=config["mentions"]["shards"],


wildcard_constraints:
    scatteritem=r"\d+-of-\d+",
    snapshot=r"[A-Za-z0-9][A-Za-z0-9._-]*",


include: f"workflow/rules/sources/{config['source']}.smk"
include: "workflow/rules/hub.smk"
include: "workflow/rules/forum.smk"
include: "workflow/rules/coding.smk"
include: "workflow/rules/trends.smk"
include: "workflow/rules/stats.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/summary.smk"
include: "workflow/rules/report.smk"


rule all:
    """The whole study: every table, figure and the report the source leads to."""
    default_target: True
    input:
        final_targets(),
