"""Rule parse_hub_pages: one shard (Snakemake scatter item) of the raw Hub list pages -> a part table."""

from pathlib import Path

from hfreuse.hub.parse import parse_pages
from hfreuse.io import write_table


def main(manifest, part, shard, n_shards):
    write_table(parse_pages(Path(manifest).parent, shard, n_shards), part)


if __name__ == "__main__":
    from hfreuse.runtime import run_rule

    run_rule(main, snakemake)  # noqa: F821
