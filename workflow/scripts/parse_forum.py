"""Rule parse_forum: raw forum snapshot -> results/forum/{categories,topics,posts}.parquet.

Authors become keyed pseudonyms (key from HFREUSE_PSEUDONYM_KEY, else the snapshot's own key
file beside the raw data); raw usernames never reach results/.
"""

from pathlib import Path

from hfreuse.forum_parse import parse_forum
from hfreuse.io import write_table


def main(manifest, categories, topics, posts, staff_groups, threads=1):
    forum_dir = Path(manifest).parent
    cats, topic_table, post_table = parse_forum(forum_dir, staff_groups or [], processes=threads)
    write_table(cats, categories)
    write_table(topic_table, topics)
    write_table(post_table, posts)


if __name__ == "__main__":
    from hfreuse.runtime import run_rule

    run_rule(main, snakemake)  # noqa: F821
