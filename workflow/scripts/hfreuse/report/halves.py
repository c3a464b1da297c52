"""Half a study (a live run of one half, config ``crawl.halves``): the summary's sentence on
what the other half would add (:func:`hfreuse.products.other_half_sentence`)."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from ..products import other_half_sentence
from .study_summary import COLUMNS, Section

SECTION = ("other_half", "What the other half would add")


def with_other_half(summary: pd.DataFrame, provided: Iterable[str]) -> pd.DataFrame:
    """The summary table with a last section saying what the missing half would add, for a
    study of one half (by the products it ``provided``); unchanged for a study of both."""
    sentence = other_half_sentence(provided)
    if sentence is None:
        return summary
    section = Section(*SECTION)
    section.say(sentence)
    df = pd.concat([summary, pd.DataFrame(section.rows)], ignore_index=True)
    df["order"] = range(1, len(df) + 1)
    return df[list(COLUMNS)].astype(COLUMNS)
