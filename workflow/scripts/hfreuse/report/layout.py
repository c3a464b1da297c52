"""Where each part of the study report goes: the report follows the study (Overview, RQ1, RQ2,
RQ3, then methods and data, then a collapsed appendix of raw tables).

Everything the run produced lands somewhere: a summary section or figure category not listed
here goes to the overview or to methods and data, a key table not listed to the appendix.
"""

from __future__ import annotations

#: (id, title) of the report's sections, in order.
SECTIONS = (
    ("overview", "Overview"),
    ("rq1", "RQ1: challenges of reusing models"),
    ("rq2", "RQ2: benefits of the community"),
    ("rq3", "RQ3: trends of model types and documentation"),
    ("methods", "Methods and data"),
    ("appendix", "Appendix: raw tables"),
)

#: section of results/report/summary.parquet -> report section. The taxonomy section's
#: sentences are split by their first word: "Benefits" goes to RQ2, the others to RQ1.
SUMMARY_PLACES = {
    "reproduction": "overview",
    "hub": "overview",
    "forum": "overview",
    "forum_headline": "overview",
    "taxonomy": "rq1",
    "root_causes": "rq1",
    "hub_types": "rq3",
    "mentions": "rq3",
    "rq3": "rq3",
    "cards": "rq3",
    "card_trend": "rq3",
    "card_history": "rq3",
    "true_dates": "methods",
    "agreement": "methods",
}
BENEFIT_PREFIX = "Benefits"

#: figure category (workflow/figures.yaml) -> report section
FIGURE_PLACES = {
    "RQ1: challenges": "rq1",
    "RQ2: benefits": "rq2",
    "RQ3: trends": "rq3",
    "Data: the forum": "methods",
}

#: key table -> (report section, readable title). Key tables not listed go to the appendix
#: (collapsed), titled by their data dictionary description.
TABLES = {
    "results/stats/reproduction.csv": ("overview", "The paper's RQ3 claims next to this run"),
    "results/coding/root_cause_counts.parquet": (
        "appendix",
        "Root causes by challenge category of the question",
    ),
    "results/stats/totals_correlation.parquet": (
        "rq3",
        "Correlation of forum topics and Hub uploads per model type (totals)",
    ),
    "results/stats/monthly_correlation.parquet": (
        "rq3",
        "Month-by-month correlation of forum topics and Hub uploads, per model type",
    ),
    "results/stats/declining_rising.parquet": (
        "rq3",
        "Model types with declining forum discussion but rising Hub uploads",
    ),
    "results/stats/card_share_trend.parquet": (
        "rq3",
        "Trend of the share of new models with card data",
    ),
    "results/stats/date_sensitivity.parquet": (
        "methods",
        "Each RQ3 statistic on createdAt and on the true creation dates",
    ),
    "results/coding/sample_design.parquet": ("methods", "Sample of forum topics for coding"),
    "results/coding/agreement.parquet": ("methods", "Agreement between the coders"),
    "results/stats/model_totals.parquet": ("appendix", "Totals per model type: forum and Hub"),
    "results/stats/model_trends.parquet": (
        "appendix",
        "Trend over time per model type (Mann-Kendall, Sen slope)",
    ),
    "results/coding/taxonomy_counts.parquet": (
        "appendix",
        "Coded instances per category and subcategory",
    ),
    "results/coding/taxonomy_by_forum_category.parquet": (
        "appendix",
        "Coded instances per forum category",
    ),
    "results/coding/codebook.parquet": ("appendix", "The codebook"),
    "results/coding/codes.parquet": ("appendix", "Codes assigned by the coders"),
    "results/coding/root_causes.parquet": ("appendix", "Root causes of accepted answers"),
    "results/coding/sample.parquet": ("appendix", "The coded sample of forum topics"),
}
