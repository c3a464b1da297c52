"""Rule parse_forum_topics: one static shard of the raw forum snapshot -> its topics and posts.

The shard holds the listed topics whose stable hash of the id falls in it; parse_forum gathers
the shards. Authors become keyed pseudonyms (key from HFREUSE_PSEUDONYM_KEY, else the snapshot's
own key file beside the raw data); raw usernames never reach results/.
"""

from pathlib import Path

from hfreuse.forum.parse import parse_forum_shard
from hfreuse.io import write_table


def main(manifest, topics, posts, shard, n_shards, staff_groups):
    topic_table, post_table = parse_forum_shard(
        Path(manifest).parent, shard, n_shards, staff_groups or []
    )
    write_table(topic_table, topics)
    write_table(post_table, posts)


if __name__ == "__main__":
    from hfreuse.runtime import run_rule

    run_rule(main, snakemake)  # noqa: F821
