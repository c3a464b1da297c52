"""Rule generate_demo_forum: write the synthetic raw forum snapshot of the demo."""

from pathlib import Path

from hfreuse.forum.demo import generate_forum_snapshot


def main(manifest, listing, seed, n_topics, mean_posts_per_topic=3.2, hostile_names=False):
    generate_forum_snapshot(
        Path(manifest).parent,
        seed=int(seed),
        n_topics=int(n_topics),
        mean_posts_per_topic=float(mean_posts_per_topic),
        hostile_names=bool(hostile_names),
    )


if __name__ == "__main__":
    from hfreuse.runtime import run_rule

    run_rule(main, snakemake)  # noqa: F821
