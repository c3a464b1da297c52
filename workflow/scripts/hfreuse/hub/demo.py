"""Seeded generator of a SYNTHETIC raw Hub snapshot, in exactly the live crawl's raw format.

The numbers are made up but shaped like the real Hub: exponential growth of uploads from 2019,
Zipf-like model type frequencies whose popularity moves over time (BERT early, Llama late),
models without a transformers config, the 2022-03-02T23:29:04Z ``createdAt`` floor on every
model created before it (with a commit history whose first commit is the true date), about half
of the models with card data, README texts whose length varies over orders of magnitude. Same seed, same bytes.

With ``hostile_names`` (config ``demo.hostile_names``, a security check) the largest model types
are served under names that would run as script in a careless HTML page or as a formula in a
spreadsheet (:data:`HOSTILE_MODEL_TYPES`); the draws, and so everything else, stay the same.
"""

from __future__ import annotations

import csv
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from ..io import atomic_write_json, atomic_write_json_gz, atomic_write_jsonl_gz
from ..shards import stable_shard
from . import raw as hub_raw

log = logging.getLogger(__name__)

FLOOR = datetime(2022, 3, 2, 23, 29, 4, tzinfo=UTC)
FLOOR_ISO = "2022-03-02T23:29:04.000Z"
START = datetime(2019, 1, 1, tzinfo=UTC)
END = datetime(
    2025, 6, 18, tzinfo=UTC
)  # the demo "crawl" ends mid-month: the last month is partial
DEMO_ENDPOINT = "https://hub.demo.invalid"

# model type -> (relative weight, first month it appears, month its popularity peaks,
#                 pipeline tag, architecture); the table is a data file shipped beside this module
MODEL_TYPES_FILE = Path(__file__).with_name("demo_model_types.csv")


def _read_model_types(path: Path) -> dict[str, tuple[int, str, str, str, str]]:
    """The model type table, in file order (weights are whole numbers)."""
    with path.open(encoding="utf-8", newline="") as f:
        return {
            row["model_type"]: (
                int(row["weight"]),
                row["first_month"],
                row["peak_month"],
                row["pipeline_tag"],
                row["architecture"],
            )
            for row in csv.DictReader(f)
        }


MODEL_TYPES = _read_model_types(MODEL_TYPES_FILE)
# demo.hostile_names: the names some model types are served under (script and formula injection;
# each script payload marks the page it runs in: a title starting "PWNED", window.__pwned set;
# single quotes only, as JSON escapes double ones, and no space in an unquoted onerror value)
HOSTILE_MODEL_TYPES = {
    "bert": "</script><script>window.__pwned='type';document.title='PWNED type'</script>",
    "gpt2": "\"><img src=x onerror=window.__pwned='img';document.title='PWNED-img'>",
    "distilbert": "=cmd|' /C calc'!A0",
    "roberta": "@SUM(1+1)*cmd|' /C calc'!A0",
    "t5": "+cmd|' /C notepad'!A0",
    "llama": "-2+3+cmd|' /C calc'!A0",
}
# libraries of models without a transformers config
NO_CONFIG_LIBRARIES = [
    ("diffusers", "text-to-image", 40),
    ("sentence-transformers", "sentence-similarity", 25),
    ("timm", "image-classification", 12),
    ("peft", "text-generation", 30),
    ("gguf", "text-generation", 22),
    ("stable-baselines3", "reinforcement-learning", 14),
    ("sklearn", "tabular-classification", 5),
    (None, None, 30),
]
NO_CONFIG_SHARE = 0.3
CARD_DATA_SHARE = 0.5
README_SHARE = 0.82
LICENSES = ["apache-2.0", "mit", "cc-by-4.0", "openrail", "llama2", "other", "cc-by-nc-4.0"]
LANGUAGES = ["en", "en", "en", "de", "fr", "es", "zh", "ar", "multilingual"]
TASK_WORDS = [
    "finetuned",
    "squad",
    "imdb",
    "sst2",
    "ner",
    "base",
    "large",
    "small",
    "chat",
    "instruct",
    "lora",
    "v2",
    "distilled",
    "qa",
    "summarizer",
    "sentiment",
]


def _month_index(ym: str) -> int:
    y, m = map(int, ym.split("-"))
    return (y - START.year) * 12 + (m - 1)


def _iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _creation_times(rng: np.random.Generator, n: int) -> np.ndarray:
    """Creation times (seconds since START), growing exponentially (about x2.2 a year)."""
    span = (END - START).total_seconds()
    rate = np.log(2.2) / (365.25 * 86400)
    u = rng.random(n)
    # inverse CDF of an exponential density on [0, span]
    t = np.log1p(u * np.expm1(rate * span)) / rate
    return np.sort(t)


def _type_weights(names: list[str], n_months: int) -> np.ndarray:
    """Per month, the relative popularity of each model type (months x types)."""
    params = np.array(
        [
            [MODEL_TYPES[t][0], _month_index(MODEL_TYPES[t][1]), _month_index(MODEL_TYPES[t][2])]
            for t in names
        ],
        dtype=float,
    )
    month = np.arange(n_months, dtype=float)[:, None]
    weight, first, peak = params[:, 0], params[:, 1], params[:, 2]
    # popularity rises to the peak, then decays slowly (half-life ~ 14 months)
    shape = np.where(
        month <= peak, np.exp(-np.maximum(peak - month, 0) / 10.0), 0.5 ** ((month - peak) / 14.0)
    )
    w = np.where(month >= first, weight * shape, 0.0)
    w[w.sum(axis=1) == 0, 0] = 1.0
    return w / w.sum(axis=1, keepdims=True)


def _readme(
    model_id: str,
    card: dict[str, Any] | None,
    model_type: str | None,
    paragraphs: int,
    details: int,
) -> str:
    header = ""
    if card:
        lines = ["---"]
        for key in sorted(card):
            val = card[key]
            if isinstance(val, list):
                lines.append(f"{key}:")
                lines += [f"- {v}" for v in val]
            else:
                lines.append(f"{key}: {val}")
        header = "\n".join([*lines, "---", ""]) + "\n"
    what = f"a {model_type} model" if model_type else "a model"
    para = (
        f"This is synthetic demo text describing {what}. It is not a real model card; it stands "
        "in for the model description, intended uses, limitations and training procedure "
        "sections that real cards have." + " Details." * details + "\n\n"
    )
    return f"{header}# {model_id.split('/')[-1]}\n\n" + para * paragraphs


def _iso_array(seconds: np.ndarray) -> np.ndarray:
    base = np.datetime64(START.replace(tzinfo=None), "s")
    stamps = base + seconds.astype("int64").astype("timedelta64[s]")
    return np.char.add(np.datetime_as_string(stamps, unit="s"), ".000Z")


class _DemoModels:
    """The random draws for ``n`` demo models (vectorized, in a fixed order from one seeded
    generator) and the raw model objects built from them."""

    def __init__(self, rng: np.random.Generator, n: int, hostile_names: bool = False) -> None:
        self.n = n
        self.shown = HOSTILE_MODEL_TYPES if hostile_names else {}
        self.names = sorted(MODEL_TYPES)
        self._draw_types(rng)
        self._draw_names(rng)
        self._draw_cards(rng)
        self._draw_activity(rng)
        # README data of the models built so far: model_id -> _readme arguments
        self.cards: dict[str, tuple[dict[str, Any] | None, str | None, int, int]] = {}

    def _draw_types(self, rng: np.random.Generator) -> None:
        """Creation times, then model types month by month, and the libraries of models
        without a config."""
        n, names = self.n, self.names
        n_months = _month_index(f"{END.year}-{END.month:02d}") + 1
        weights = _type_weights(names, n_months)
        self.times = times = _creation_times(rng, n)
        created = np.datetime64(START.replace(tzinfo=None), "s") + times.astype("int64").astype(
            "timedelta64[s]"
        )
        self.years = years = created.astype("datetime64[Y]").astype(int) + 1970
        months = (years - START.year) * 12 + (created.astype("datetime64[M]").astype(int) % 12)
        self.type_idx = np.empty(n, dtype=np.int64)
        for m in np.unique(months):
            sel = np.flatnonzero(months == m)
            self.type_idx[sel] = rng.choice(len(names), size=len(sel), p=weights[m])
        self.no_config = rng.random(n) < NO_CONFIG_SHARE
        lib_p = np.array([w for _, _, w in NO_CONFIG_LIBRARIES], dtype=float)
        self.lib_idx = rng.choice(len(NO_CONFIG_LIBRARIES), size=n, p=lib_p / lib_p.sum())

    def _draw_names(self, rng: np.random.Generator) -> None:
        """Uploaders (Zipf-like) and the words of the model names."""
        n = self.n
        n_authors = max(20, n // 12)
        author_p = 1.0 / np.arange(1, n_authors + 1) ** 1.1  # Zipf-like uploaders
        self.author_idx = rng.choice(n_authors, size=n, p=author_p / author_p.sum())
        self.w1 = rng.integers(0, len(TASK_WORDS), size=n)
        self.w2 = (self.w1 + 1 + rng.integers(0, len(TASK_WORDS) - 1, size=n)) % len(TASK_WORDS)
        self.two_words = rng.random(n) < 0.5

    def _draw_cards(self, rng: np.random.Generator) -> None:
        """README and card data (license, language, tags, dataset)."""
        n = self.n
        self.has_readme = rng.random(n) < README_SHARE
        self.has_card = self.has_readme & (rng.random(n) < CARD_DATA_SHARE / README_SHARE)
        self.lic = rng.integers(0, len(LICENSES), size=n)
        self.lang = np.where(rng.random(n) < 0.6, rng.integers(0, len(LANGUAGES), size=n), -1)
        self.tag_gft = rng.random(n) < 0.4
        self.dataset = np.where(rng.random(n) < 0.3, rng.integers(0, 50, size=n), -1)

    def _draw_activity(self, rng: np.random.Generator) -> None:
        """Last modification, downloads, likes, README lengths and commit hashes."""
        n, times = self.n, self.times
        modified = times + rng.exponential(60 * 86400, size=n)
        span = (END - START).total_seconds()
        late = modified > span
        modified[late] = span - rng.integers(1, 86400, size=int(late.sum()))
        modified = np.maximum(modified, times)
        self.downloads = rng.lognormal(2.0, 2.5, size=n).astype(np.int64)
        self.likes = rng.lognormal(-0.5, 1.5, size=n).astype(np.int64)
        self.paragraphs = np.minimum(rng.lognormal(1.0, 1.0, size=n).astype(np.int64) + 1, 40)
        self.details = rng.integers(0, 30, size=n)
        self.sha_a = rng.integers(0, 2**63, size=n, dtype=np.int64)
        self.sha_b = rng.integers(0, 2**63, size=n, dtype=np.int64)
        self.created_iso = _iso_array(times)
        self.modified_iso = _iso_array(modified)
        self.floor_s = (FLOOR - START).total_seconds()

    def _card_data(self, i: int) -> dict[str, Any] | None:
        if not self.has_card[i]:
            return None
        card: dict[str, Any] = {"license": LICENSES[self.lic[i]]}
        if self.lang[i] >= 0:
            card["language"] = [LANGUAGES[self.lang[i]]]
        if self.tag_gft[i]:
            card["tags"] = ["generated_from_trainer"]
        if self.dataset[i] >= 0:
            card["datasets"] = [f"demo-datasets/set-{self.dataset[i]:02d}"]
        return card

    def item(self, i: int) -> dict[str, Any]:
        """The raw model object of model ``i`` as the listing serves it (and its README data)."""
        a = int(self.author_idx[i])
        author = f"demo-org-{a:04d}" if a % 3 == 0 else f"demo-user-{a:05d}"
        if self.no_config[i]:
            lib, pipe, _ = NO_CONFIG_LIBRARIES[self.lib_idx[i]]
            model_type = arch = None
            stem = lib or "model"
        else:
            model_type = self.names[self.type_idx[i]]
            _, _, _, pipe, arch = MODEL_TYPES[model_type]
            lib = "transformers"
            stem = model_type.replace("_", "-")
            model_type = self.shown.get(model_type, model_type)
        words = TASK_WORDS[self.w1[i]] + (f"-{TASK_WORDS[self.w2[i]]}" if self.two_words[i] else "")
        model_id = f"{author}/{stem}-{words}-{i:07d}"
        card = self._card_data(i)
        siblings = [".gitattributes"]
        if self.has_readme[i]:
            siblings.append("README.md")
        if model_type:
            siblings += [
                "config.json",
                "model.safetensors" if int(self.years[i]) >= 2023 else "pytorch_model.bin",
            ]
        tags = ([lib] if lib else []) + ([model_type] if model_type else [])
        tags += ([pipe] if pipe else []) + ["region:us"]
        if card:
            tags.append(f"license:{card['license']}")
        sha_a = int(self.sha_a[i])
        item: dict[str, Any] = {
            "_id": f"{sha_a:016x}{i:08x}",
            "id": model_id,
            "modelId": model_id,
            "author": author,
            "sha": f"{sha_a:016x}{int(self.sha_b[i]):016x}{i:08x}",
            "createdAt": FLOOR_ISO if self.times[i] < self.floor_s else str(self.created_iso[i]),
            "lastModified": str(self.modified_iso[i]),
            "private": False,
            "downloads": int(self.downloads[i]),
            "likes": int(self.likes[i]),
            "tags": tags,
            "siblings": [{"rfilename": s} for s in sorted(siblings)],
        }
        if pipe:
            item["pipeline_tag"] = pipe
        if lib:
            item["library_name"] = lib
        if model_type:
            item["config"] = {"architectures": [arch], "model_type": model_type}
        if card:
            item["cardData"] = card
        if self.has_readme[i]:
            self.cards[model_id] = (card, model_type, int(self.paragraphs[i]), int(self.details[i]))
        return item


def _write_pages(hub_dir: Path, models: _DemoModels, page_size: int) -> int:
    """The listing pages, page by page (memory stays flat at any size); returns their number."""
    n = models.n
    n_pages = 0
    for start in range(0, n, page_size):
        n_pages += 1
        nxt = (
            f"{DEMO_ENDPOINT}/api/models?cursor=demo-{n_pages + 1}"
            if start + page_size < n
            else None
        )
        atomic_write_json_gz(
            hub_raw.page_path(hub_dir, n_pages),
            {
                "url": f"{DEMO_ENDPOINT}/api/models?cursor=demo-{n_pages}",
                "next": nxt,
                "items": [models.item(i) for i in range(start, min(start + page_size, n))],
            },
        )
    return n_pages


def _write_card_shards(
    cards: dict[str, tuple[dict[str, Any] | None, str | None, int, int]],
    max_cards: int | None,
    card_markers: list[str | Path],
) -> list[str]:
    """README part files and markers of every card shard; returns the selected models.

    Shard ``k`` (a stable hash of the model id) goes to the folder of ``card_markers[k]``; the
    marker is written last."""
    card_shards = len(card_markers)
    selected = sorted(hub_raw.select_card_models(list(cards), max_cards))
    by_shard: dict[int, list[str]] = {k: [] for k in range(card_shards)}
    for model_id in selected:
        by_shard[stable_shard(model_id, card_shards)].append(model_id)
    for k, ids in by_shard.items():
        folder = hub_raw.shard_dir(card_markers[k])
        for part, start in enumerate(range(0, len(ids), 500), 1):
            recs = [
                {"model_id": m, "status": 200, "text": _readme(m, *cards[m])}
                for m in ids[start : start + 500]
            ]
            atomic_write_jsonl_gz(hub_raw.part_path(folder, part), recs)
        atomic_write_json(
            card_markers[k],
            {
                "synthetic": True,
                "shard": k,
                "shards": card_shards,
                "cards": len(ids),
                "fetched": len(ids),
                "not_found": 0,
                "stats": {"requests": 0},
            },
        )
    return selected


HISTORY_GONE_SHARE = 0.01  # floored demo repositories deleted since the listing (404)
HISTORY_REWRITTEN_SHARE = 0.005  # floored demo repositories whose history was squashed later
HISTORY_MAX_COMMITS = 150


def _commit_id(model_id: str, k: int) -> str:
    import hashlib

    return hashlib.sha1(f"{model_id}:{k}".encode()).hexdigest()


def _write_history_shards(
    models: _DemoModels, seed: int, history_markers: list[str | Path]
) -> dict[str, int]:
    """The commit histories of the floored models, in the live crawl's records
    (:mod:`hfreuse.hub.first_commits`), shard ``k`` beside ``history_markers[k]``; returns counts.

    Drawn from their own generator (the listing's draws are untouched): 1 to 150 commits, the
    first at the model's true creation time, the others spread to its last modification; a few
    repositories gone (404 ``RepoNotFound``) and a few histories squashed after the floor."""
    rng = np.random.default_rng([seed, 12])
    floored = np.flatnonzero(models.times < models.floor_s) if history_markers else []
    n = len(floored)
    lengths = np.minimum(rng.geometric(0.25, size=n), HISTORY_MAX_COMMITS)
    lengths[rng.random(n) < 0.01] = HISTORY_MAX_COMMITS  # a few long histories (several pages)
    fate = rng.random(n)
    base = np.datetime64(START.replace(tzinfo=None), "s")
    n_shards = len(history_markers)
    by_shard: dict[int, list[dict[str, Any]]] = {k: [] for k in range(n_shards)}
    counts = {"floored": int(n), "gone": 0, "rewritten": 0}
    if not n_shards:
        return counts
    for j, i in enumerate(floored):
        item = models.item(int(i))
        model_id = item["id"]
        rec: dict[str, Any] = {"model_id": model_id, "revision": item["sha"], "error_code": None}
        if fate[j] < HISTORY_GONE_SHARE:
            counts["gone"] += 1
            rec |= {"status": 404, "error_code": "RepoNotFound", "commits": None, "pages": 1}
        else:
            start = float(models.times[i])
            if fate[j] < HISTORY_GONE_SHARE + HISTORY_REWRITTEN_SHARE:
                counts["rewritten"] += 1
                start = models.floor_s + 86400.0 * (1 + j % 300)  # squashed after the floor
            stop = max(start, (END - START).total_seconds() - 86400)
            k = int(lengths[j])
            offsets = np.sort(rng.random(k - 1)) * (stop - start) if k > 1 else np.zeros(0)
            stamps = base + np.concatenate([[start], start + offsets]).astype("int64").astype(
                "timedelta64[s]"
            )
            dates = np.char.add(np.datetime_as_string(stamps, unit="s"), ".000Z")
            commits = [{"id": _commit_id(model_id, c), "date": str(dates[c])} for c in range(k)]
            rec |= {"status": 200, "commits": commits[::-1], "pages": 1}
        rec["total"] = len(rec["commits"]) if rec["commits"] else None
        by_shard[stable_shard(model_id, n_shards)].append(rec)
    models.cards.clear()  # items built again here must not add README data twice
    for k, recs in by_shard.items():
        recs.sort(key=lambda r: r["model_id"])
        folder = hub_raw.shard_dir(history_markers[k])
        for part, start in enumerate(range(0, len(recs), 500), 1):
            atomic_write_jsonl_gz(hub_raw.part_path(folder, part), recs[start : start + 500])
        atomic_write_json(
            history_markers[k],
            {"synthetic": True, "shard": k, "shards": n_shards, "models": len(recs),
             "stats": {"requests": 0}},
        )  # fmt: skip
    return counts


def _write_card_history(
    models: _DemoModels, readme_ids: list[str], sample: dict[str, Any], manifest: Path
) -> int:
    """Card-history records (:mod:`hfreuse.hub.card_history`) of the seeded sample of the models
    with a README: a history of 1 to 40 commits, README.md first in one of the first commits,
    card data then for most models that have it today and for a few that dropped it since."""
    from .card_history import sample_models, sample_size

    n = sample_size(len(readme_ids), sample["size"], sample["confidence"], sample["margin"],
                    sample["proportion"])  # fmt: skip
    chosen = sample_models(readme_ids, n, sample["seed"])
    rng = np.random.default_rng([sample["seed"], 13])
    recs = []
    for model_id in chosen:
        i = int(model_id.rsplit("-", 1)[1])  # demo ids end with the model's index
        k = int(min(rng.geometric(0.2), 40))
        first = int(min(rng.geometric(0.6) - 1, k - 1))
        has_now = bool(models.has_card[i])
        had = rng.random() < (0.75 if has_now else 0.05)
        stamp = float(models.times[i]) + 3600.0 * first
        date = str(_iso_array(np.array([stamp]))[0])
        header = f"---\nlicense: {LICENSES[int(models.lic[i])]}\n---\n" if had else ""
        recs.append({
            "model_id": model_id, "revision": None, "status": 200, "error_code": None,
            "commits": k, "first_index": first, "first_commit": _commit_id(model_id, first),
            "first_date": date, "probes": 0, "readme_status": 200,
            "text": f"{header}# {model_id.split('/')[-1]}\n",
        })  # fmt: skip
    models.cards.clear()
    for part, start in enumerate(range(0, len(recs), 500), 1):
        atomic_write_jsonl_gz(hub_raw.part_path(manifest.parent, part), recs[start : start + 500])
    atomic_write_json(manifest, {"synthetic": True, "sample": n, "seed": sample["seed"],
                                 "models_with_readme": len(readme_ids), "stats": {"requests": 0}})  # fmt: skip
    return n


def generate_hub_snapshot(
    hub_dir: str | Path,
    seed: int,
    n_models: int,
    page_size: int,
    card_markers: list[str | Path],
    max_cards: int | None = None,
    history_markers: list[str | Path] = (),
    card_history: tuple[str | Path, dict[str, Any]] | None = None,
    hostile_names: bool = False,
) -> dict[str, Any]:
    """Write a synthetic raw Hub snapshot (list pages, README shards, markers) to ``hub_dir``.

    Vectorized: two million models take about a minute. README texts are written for the models
    the crawl would fetch (every model listing README.md, or a ``max_cards`` stable-hash sample),
    README shard ``k`` beside the marker ``card_markers[k]``; the commit histories of the floored
    models beside ``history_markers`` (none without); with ``card_history`` (manifest path,
    sample settings: size, seed, confidence, margin, proportion) the card history of a sample.
    """
    hub_dir = Path(hub_dir)
    models = _DemoModels(np.random.default_rng(seed), n_models, hostile_names)
    n_pages = _write_pages(hub_dir, models, page_size)
    selected = _write_card_shards(models.cards, max_cards, card_markers)
    readme_ids = sorted(models.cards)
    histories = _write_history_shards(models, seed, list(history_markers))
    if card_history is not None:
        _write_card_history(models, readme_ids, card_history[1], Path(card_history[0]))
    manifest = {
        "synthetic": True,
        "generator": "hfreuse.hub.demo.generate_hub_snapshot",
        "seed": seed,
        "endpoint": DEMO_ENDPOINT,
        "query": {"sort": "createdAt", "direction": 1, "limit": page_size},
        "models": n_models,
        "pages": n_pages,
        "readmes": len(selected),
        "card_shards": len(card_markers),
        "crawl_started_at": _iso(END),
        "crawl_finished_at": _iso(END),
        "stats": {"requests": 0, "retries": 0, "errors": 0},
    }
    if hostile_names:
        manifest["hostile_names"] = True
    atomic_write_json(hub_dir / "manifest.json", manifest)
    log.info(
        "demo hub snapshot: %d models in %d pages, %d READMEs, histories of %d floored models "
        "(%d repositories gone, %d rewritten)",
        n_models,
        n_pages,
        len(selected),
        histories["floored"],
        histories["gone"],
        histories["rewritten"],
    )
    return manifest
