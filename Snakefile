# hfreuse: rerun "Deep Learning Model Reuse in the HuggingFace Community" (SANER 2024).
# Thin by design: configuration, validation, the report, the stage files and the default target.
from snakemake.utils import min_version

min_version("9")


configfile: "config/config.yaml"


include: "workflow/rules/common.smk"


check_config(config, "workflow/schemas/config.schema.yaml")


report: "workflow/report/workflow.rst"


include: "workflow/rules/demo.smk"
include: "workflow/rules/hub.smk"
include: "workflow/rules/forum.smk"
include: "workflow/rules/coding.smk"
include: "workflow/rules/trends.smk"
include: "workflow/rules/rq3.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/summary.smk"
include: "workflow/rules/report.smk"


rule all:
    default_target: True
    input:
        final_targets(),
