"""Rule parse_forum: the parse shards -> results/forum/{categories,topics,posts}.parquet, the
topics the crawl quarantined -> results/forum/quarantine.parquet, and the forum's name (title and
host) -> results/forum/site.parquet.

The tables (and their bytes) are the same whatever the number of shards (forum.parse_shards).
"""

from pathlib import Path

import pyarrow.parquet as pq
from hfreuse.forum.parse import gather_forum, topic_quarantine
from hfreuse.forum.site import site_table
from hfreuse.io import read_json, write_table


def main(manifest, topic_parts, post_parts, categories, topics, posts, quarantine, site):
    cats, topic_table, post_table = gather_forum(
        Path(manifest).parent,
        [pq.read_table(p) for p in topic_parts],
        [pq.read_table(p) for p in post_parts],
    )
    write_table(cats, categories)
    write_table(topic_table, topics)
    write_table(post_table, posts)
    write_table(topic_quarantine(Path(manifest).parent), quarantine)
    base_url = read_json(manifest)["base_url"]
    write_table(site_table(Path(manifest).parent, base_url, "fetch_forum_listing"), site)


if __name__ == "__main__":
    from hfreuse.runtime import run_rule

    run_rule(main, snakemake)  # noqa: F821
