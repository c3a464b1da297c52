"""Rule build_report: every figure, key table, manifest and the data dictionary -> one HTML file."""

from pathlib import Path

from hfreuse.io import atomic_write_bytes
from hfreuse.report.build import build_report


def main(
    figures,
    specs,
    tables,
    facts,
    manifests,
    captions,
    dictionary,
    style,
    report,
    config,
    synthetic,
    max_table_rows,
    key_tables,
    summary,
    template=None,
    figure_categories=None,
    table_names=None,
):
    html = build_report(
        figures=list(figures),
        specs=list(specs),
        tables=list(tables),
        facts=facts,
        manifests=list(manifests),
        captions=list(captions),
        dictionary=list(dictionary),
        css=Path(style).read_text(encoding="utf-8"),
        config=dict(config),
        synthetic=synthetic,
        max_table_rows=max_table_rows,
        key_table_patterns=list(key_tables),
        summary=summary,
        figure_categories=dict(figure_categories or {}),
        template_dir=str(Path(template).parent) if template else None,
        table_names=dict(table_names or {}),
    )
    atomic_write_bytes(report, html.encode("utf-8"))


if __name__ == "__main__":
    from hfreuse.runtime import run_rule

    run_rule(main, snakemake)  # noqa: F821
