"""Rule generate_demo_hub: write the synthetic raw Hub snapshot of the demo."""

from pathlib import Path

from hfreuse.hub.demo import generate_hub_snapshot


def main(
    manifest,
    card_manifests,
    history_manifests,
    card_history,
    seed,
    n_models,
    page_size,
    max_cards,
    card_history_sample,
    hostile_names=False,
):
    generate_hub_snapshot(
        Path(manifest).parent,
        seed=seed,
        n_models=n_models,
        page_size=page_size,
        card_markers=list(card_manifests),
        max_cards=max_cards,
        history_markers=list(history_manifests),
        card_history=(card_history, card_history_sample),
        hostile_names=bool(hostile_names),
    )


if __name__ == "__main__":
    from hfreuse.runtime import run_rule

    run_rule(main, snakemake)  # noqa: F821
