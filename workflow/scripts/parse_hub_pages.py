"""Rule parse_hub_pages: one static shard of the raw Hub list pages -> a part table."""

from pathlib import Path

from hfreuse.hub.parse import parse_pages
from hfreuse.hub.raw import parse_shard
from hfreuse.io import write_table


def main(manifest, part, shard):
    k, n = parse_shard(shard)
    write_table(parse_pages(Path(manifest).parent, k, n), part)


if __name__ == "__main__":
    from hfreuse.runtime import run_rule

    run_rule(main, snakemake)  # noqa: F821
