"""Rule parse_hub_models: raw Hub snapshot -> results/hub/models.parquet."""

from pathlib import Path

from hfreuse.hub_parse import parse_models
from hfreuse.io import write_table


def main(manifest, card_manifests, models):
    shards = [Path(p).name.removeprefix("shard-").removesuffix(".json") for p in card_manifests]
    write_table(parse_models(Path(manifest).parent, sorted(shards)), models)


if __name__ == "__main__":
    from hfreuse.runtime import run_rule

    run_rule(main, snakemake)  # noqa: F821
