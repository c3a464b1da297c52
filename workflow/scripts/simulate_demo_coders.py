"""Rule simulate_demo_coders (demo only): simulated coders fill the demo coding sheets."""

import logging

import pandas as pd
from hfreuse.coding.codebook import read_codebook_csv
from hfreuse.coding.demo import fill_sheet
from hfreuse.coding.sheets import read_sheet, write_sheet_csv
from hfreuse.io import atomic_write_bytes

log = logging.getLogger(__name__)


def main(sample, sheets, demo_codebook, filled, codebook_csv, coders, seed, error_rate):
    codebook = read_codebook_csv(demo_codebook)
    drawn = pd.read_parquet(sample)
    for coder, sheet_path, out in zip(coders, sheets, filled, strict=True):
        header, rows = read_sheet(sheet_path)
        sheet = pd.DataFrame([cells for _, cells in rows], columns=header)
        done = fill_sheet(sheet, drawn, codebook, coder, seed=seed, error_rate=error_rate)
        write_sheet_csv(done, out)
        log.info("%s: %d codes on %d topics", coder, len(done), sheet["topic_id"].nunique())
    with open(demo_codebook, "rb") as fh:
        atomic_write_bytes(codebook_csv, fh.read())


if __name__ == "__main__":
    from hfreuse.runtime import run_rule

    run_rule(main, snakemake)  # noqa: F821
