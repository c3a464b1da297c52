"""Where each part of the study report goes: the report follows the study (Overview, RQ1, RQ2,
RQ3, then methods and data, then a collapsed appendix of raw tables).

Everything the run produced lands somewhere: a summary section or figure category not listed
here goes to the overview or to methods and data, a key table not listed to the appendix.
"""

from __future__ import annotations

#: (id, title) of the report's sections, in order.
SECTIONS = (
    ("claims", "Do the paper's findings hold?"),
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
    "claims": "claims",
    "reproduction": "claims",
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

#: key tables not shown: their rows are another key table's (name -> that table's name)
SHOWN_AS = {"claims_csv": "claims"}

#: key table (by its name in workflow/products.yaml) -> (report section, readable title). Key
#: tables not listed go to the appendix (collapsed), titled by their data dictionary description.
TABLES = {
    "claims": ("claims", "The paper's claims evaluated on this run"),
    "reproduction": ("appendix", "The paper's RQ3 claims next to this run (reproduction.csv)"),
    "root_cause_counts": ("appendix", "Root causes by challenge category of the question"),
    "totals_correlation": (
        "rq3",
        "Correlation of forum topics and Hub uploads per model type (totals)",
    ),
    "monthly_correlation": (
        "rq3",
        "Month-by-month correlation of forum topics and Hub uploads, per model type",
    ),
    "declining_rising": (
        "rq3",
        "Model types with declining forum discussion but rising Hub uploads",
    ),
    "card_share_trend": ("rq3", "Trend of the share of new models with card data"),
    "date_sensitivity": (
        "methods",
        "Each RQ3 statistic on createdAt and on the true creation dates",
    ),
    "sample_design": ("methods", "Sample of forum topics for coding"),
    "agreement": ("methods", "Agreement between the coders"),
    "model_totals": ("appendix", "Totals per model type: forum and Hub"),
    "model_trends": ("appendix", "Trend over time per model type (Mann-Kendall, Sen slope)"),
    "taxonomy_counts": ("appendix", "Coded instances per category and subcategory"),
    "taxonomy_by_forum_category": ("appendix", "Coded instances per forum category"),
    "codebook": ("appendix", "The codebook"),
    "codes": ("appendix", "Codes assigned by the coders"),
    "root_causes": ("appendix", "Root causes of accepted answers"),
    "coding_sample": ("appendix", "The coded sample of forum topics"),
}
