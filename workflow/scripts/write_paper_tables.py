"""Rule write_paper_tables: every result table the run provides (hfreuse.report.latex
RESULT_TABLES) as a LaTeX table for a paper (booktabs, escaped, captioned, labelled) and a CSV
beside it with the same rows and formatted cells, under the dictionary's column labels.

The rule passes the tables by name (their paths), the LaTeX and CSV paths in the same order as
``names``, the data dictionary files and whether the run's data are synthetic.
"""

import logging

from hfreuse.errors import InputError
from hfreuse.report.dictionary import load_dictionary
from hfreuse.report.latex import write_result_table

log = logging.getLogger(__name__)


def main(tex, csv, names, dictionary, synthetic, **tables):
    if not len(tex) == len(csv) == len(names):
        raise InputError(f"expected one .tex and one .csv per table of {names}")
    entries = load_dictionary(dictionary)
    for name, tex_path, csv_path in zip(names, tex, csv, strict=True):
        table = write_result_table(name, tables[name], tex_path, csv_path, entries, synthetic)
        log.info("%s: %d rows, %d columns", tex_path, len(table.cells), table.cells.shape[1])


if __name__ == "__main__":
    from hfreuse.runtime import run_rule

    run_rule(main, snakemake)  # noqa: F821
