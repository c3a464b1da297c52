"""Rule summarize_forum: forum statistics tables from the tidy topics and posts."""

import pandas as pd
from hfreuse.forum import stats as forum_stats
from hfreuse.io import write_parquet

TOPIC_COLUMNS = ["topic_id", "category", "created_at", "posts_count", "pinned"]
TOPIC_COLUMNS += ["has_accepted_answer", "accepted_post_number"]
POST_COLUMNS = ["topic_id", "post_number", "author", "author_is_staff", "is_accepted_answer"]


def main(topics, posts, topics_per_category, posts_per_topic, accepted_answers, summary):
    t = pd.read_parquet(topics, columns=TOPIC_COLUMNS)
    p = pd.read_parquet(posts, columns=POST_COLUMNS)
    write_parquet(forum_stats.topics_per_category_monthly(t), topics_per_category)
    write_parquet(forum_stats.posts_per_topic(t), posts_per_topic)
    write_parquet(forum_stats.accepted_answers(t, p), accepted_answers)
    write_parquet(forum_stats.summary(t, p), summary)


if __name__ == "__main__":
    from hfreuse.runtime import run_rule

    run_rule(main, snakemake)  # noqa: F821
