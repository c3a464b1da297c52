"""The summary's first section, "Do the paper's findings hold?" (section ``claims`` of
:mod:`hfreuse.report.study_summary`): one sentence per row of the claims table
(``results/stats/claims.parquet``, rule evaluate_paper_claims), and a lead sentence counting the
verdicts. A synthetic run's sentences say that the verdicts are about synthetic data."""

from __future__ import annotations

import pandas as pd

from ..errors import InputError
from ..rq3.claims import CLAIM_VERDICTS, NOT_EVALUATED
from .facts import Section, Settings, summarises

#: the table summarised here, by its name in workflow/products.yaml
CLAIMS = "claims"
CLAIMS_SUMMARY_COLUMNS = ["claim_id", "research_question", "claim", "paper_value"]
CLAIMS_SUMMARY_COLUMNS += ["computed_value", "test", "p_value", "n", "verdict"]
SYNTHETIC_LEAD = (
    "These verdicts are about SYNTHETIC demo data: they show that the paper's claims are "
    "evaluated, not whether they hold on HuggingFace."
)


def _counts(s: Section, df: pd.DataFrame, src: str) -> str:
    said = []
    for verdict in CLAIM_VERDICTS[1:]:
        key = "claims_" + verdict.replace(" ", "_")
        said.append(f"{s.fact(key, 'count', int((df['verdict'] == verdict).sum()), src)} {verdict}")
    return ", ".join(said)


@summarises(CLAIMS, CLAIMS_SUMMARY_COLUMNS)
def claims(s: Section, df: pd.DataFrame, src: str, settings: Settings) -> None:
    bad = sorted(set(df["verdict"].astype(str)) - set(CLAIM_VERDICTS))
    if bad:
        raise InputError(f"{src}, column verdict: expected one of {CLAIM_VERDICTS}, got {bad}")
    data = "the synthetic demo data" if settings.synthetic else "this run's data"
    if settings.synthetic:
        s.say(SYNTHETIC_LEAD)
    supported = int((df["verdict"] == "supported").sum())
    s.say(
        f"{s.fact('claims_supported', 'count', supported, src)} of "
        f"{s.fact('claims', 'count', len(df), src)} claims of the paper are supported on {data} "
        f"({_counts(s, df, src)}; significance at "
        f"{s.fact('alpha', 'alpha', settings.alpha, 'config: stats.alpha')})."
    )
    for rec in df.to_dict("records"):
        k = str(rec["claim_id"])
        rq = s.fact(f"{k}_rq", "name", rec["research_question"], src)
        claim = s.fact(f"{k}_claim", "text", rec["claim"], src)
        paper = s.fact(f"{k}_paper", "text", rec["paper_value"], src)
        verdict = s.fact(f"{k}_verdict", "text", rec["verdict"], src)
        run = s.fact(f"{k}_run", "text", rec["computed_value"], src)
        lead = f"{rq}: \u201c{claim}\u201d The paper: {paper}."
        if rec["verdict"] == NOT_EVALUATED:
            s.say(f"{lead} On {data}: {run}.")
            continue
        test = s.fact(f"{k}_test", "text", rec["test"], src)
        p = s.fact(f"{k}_p", "p", rec["p_value"], src)
        n = s.fact(f"{k}_n", "count", rec["n"], src)
        s.say(f"{lead} On {data}: {run}. Test: {test}; p = {p}, n = {n}. Verdict: {verdict}.")
