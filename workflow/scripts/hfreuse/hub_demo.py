"""Seeded generator of a SYNTHETIC raw Hub snapshot, in exactly the live crawl's raw format.

The numbers are made up but shaped like the real Hub: exponential growth of uploads from 2019,
Zipf-like model type frequencies whose popularity moves over time (BERT early, Llama late),
models without a transformers config, the 2022-03-02T23:29:04Z ``createdAt`` floor on every
model created before it, about half of the models with card data, README texts whose length
varies over orders of magnitude. Same seed, same bytes.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from . import hub_raw
from .io import atomic_write_json, atomic_write_json_gz, atomic_write_jsonl_gz

log = logging.getLogger(__name__)

FLOOR = datetime(2022, 3, 2, 23, 29, 4, tzinfo=UTC)
FLOOR_ISO = "2022-03-02T23:29:04.000Z"
START = datetime(2019, 1, 1, tzinfo=UTC)
END = datetime(
    2025, 6, 18, tzinfo=UTC
)  # the demo "crawl" ends mid-month: the last month is partial
DEMO_ENDPOINT = "https://hub.demo.invalid"

# model type -> (relative weight, first month it appears, month its popularity peaks,
#                 pipeline tag, architecture)
MODEL_TYPES: dict[str, tuple[float, str, str, str, str]] = {
    "bert": (100, "2019-01", "2021-06", "fill-mask", "BertForMaskedLM"),
    "gpt2": (55, "2019-03", "2022-06", "text-generation", "GPT2LMHeadModel"),
    "distilbert": (
        45,
        "2019-10",
        "2022-01",
        "text-classification",
        "DistilBertForSequenceClassification",
    ),
    "roberta": (
        40,
        "2019-08",
        "2022-03",
        "text-classification",
        "RobertaForSequenceClassification",
    ),
    "t5": (32, "2019-11", "2022-09", "text2text-generation", "T5ForConditionalGeneration"),
    "llama": (60, "2023-02", "2024-09", "text-generation", "LlamaForCausalLM"),
    "wav2vec2": (22, "2020-09", "2022-02", "automatic-speech-recognition", "Wav2Vec2ForCTC"),
    "whisper": (
        20,
        "2022-09",
        "2023-12",
        "automatic-speech-recognition",
        "WhisperForConditionalGeneration",
    ),
    "bart": (16, "2019-12", "2022-06", "summarization", "BartForConditionalGeneration"),
    "xlm-roberta": (
        15,
        "2019-12",
        "2022-10",
        "token-classification",
        "XLMRobertaForTokenClassification",
    ),
    "mistral": (30, "2023-09", "2024-06", "text-generation", "MistralForCausalLM"),
    "vit": (12, "2020-12", "2023-03", "image-classification", "ViTForImageClassification"),
    "marian": (12, "2020-05", "2021-09", "translation", "MarianMTModel"),
    "deberta-v2": (
        9,
        "2020-12",
        "2023-01",
        "text-classification",
        "DebertaV2ForSequenceClassification",
    ),
    "electra": (7, "2020-03", "2021-08", "text-classification", "ElectraForSequenceClassification"),
    "albert": (6, "2019-10", "2021-03", "fill-mask", "AlbertForMaskedLM"),
    "mt5": (6, "2020-11", "2022-08", "text2text-generation", "MT5ForConditionalGeneration"),
    "gpt_neox": (6, "2022-02", "2023-05", "text-generation", "GPTNeoXForCausalLM"),
    "opt": (6, "2022-05", "2023-03", "text-generation", "OPTForCausalLM"),
    "clip": (6, "2021-01", "2023-06", "zero-shot-image-classification", "CLIPModel"),
    "qwen2": (22, "2024-06", "2025-05", "text-generation", "Qwen2ForCausalLM"),
    "gemma": (8, "2024-02", "2024-10", "text-generation", "GemmaForCausalLM"),
    "phi": (6, "2023-09", "2024-05", "text-generation", "PhiForCausalLM"),
    "falcon": (5, "2023-05", "2023-09", "text-generation", "FalconForCausalLM"),
    "bloom": (5, "2022-07", "2023-02", "text-generation", "BloomForCausalLM"),
    "gpt_neo": (5, "2021-03", "2022-04", "text-generation", "GPTNeoForCausalLM"),
    "pegasus": (4, "2020-06", "2021-10", "summarization", "PegasusForConditionalGeneration"),
    "longformer": (3, "2020-06", "2021-12", "fill-mask", "LongformerForMaskedLM"),
    "camembert": (3, "2019-11", "2021-06", "fill-mask", "CamembertForMaskedLM"),
    "led": (2, "2021-01", "2022-01", "summarization", "LEDForConditionalGeneration"),
    "swin": (3, "2021-11", "2023-04", "image-classification", "SwinForImageClassification"),
    "segformer": (
        3,
        "2021-11",
        "2023-08",
        "image-segmentation",
        "SegformerForSemanticSegmentation",
    ),
    "blip": (2, "2023-01", "2023-10", "image-to-text", "BlipForConditionalGeneration"),
    "sam": (1, "2023-04", "2023-09", "mask-generation", "SamModel"),
    "git": (1, "2022-12", "2023-06", "image-to-text", "GitForCausalLM"),
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


def _sha(seed: int, i: int) -> str:
    return hashlib.sha1(f"{seed}:{i}".encode()).hexdigest()


def _creation_times(rng: np.random.Generator, n: int) -> np.ndarray:
    """Creation times (seconds since START), growing exponentially (about x2.2 a year)."""
    span = (END - START).total_seconds()
    rate = np.log(2.2) / (365.25 * 86400)
    u = rng.random(n)
    # inverse CDF of an exponential density on [0, span]
    t = np.log1p(u * np.expm1(rate * span)) / rate
    return np.sort(t)


def _pick_type(rng: np.random.Generator, month: int, names: list[str], params: np.ndarray) -> str:
    weight, first, peak = params[:, 0], params[:, 1], params[:, 2]
    alive = month >= first
    # popularity rises to the peak, then decays slowly (half-life ~ 14 months)
    shape = np.where(
        month <= peak, np.exp(-np.maximum(peak - month, 0) / 10.0), 0.5 ** ((month - peak) / 14.0)
    )
    w = np.where(alive, weight * shape, 0.0)
    if w.sum() == 0:
        return names[0]
    return names[int(rng.choice(len(names), p=w / w.sum()))]


def _readme(
    rng: np.random.Generator, model_id: str, card: dict[str, Any] | None, model_type: str | None
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
        header = "\n".join(lines + ["---", ""]) + "\n"
    body = [f"# {model_id.split('/')[-1]}", ""]
    n_par = int(rng.lognormal(1.0, 1.0)) + 1
    what = f"a {model_type} model" if model_type else "a model"
    for k in range(min(n_par, 40)):
        body.append(
            f"This is synthetic demo text {k} describing {what}. It is not a real model card; "
            "it stands in for the model description, intended uses, limitations and training "
            "procedure sections that real cards have." + " Details." * int(rng.integers(0, 30))
        )
        body.append("")
    return header + "\n".join(body)


def generate_hub_snapshot(
    hub_dir: str | Path, seed: int, n_models: int, page_size: int, card_shards: int
) -> dict[str, Any]:
    """Write a synthetic raw Hub snapshot (list pages, README shards, markers) to ``hub_dir``."""
    hub_dir = Path(hub_dir)
    rng = np.random.default_rng(seed)
    names = sorted(MODEL_TYPES)
    params = np.array(
        [
            [MODEL_TYPES[t][0], _month_index(MODEL_TYPES[t][1]), _month_index(MODEL_TYPES[t][2])]
            for t in names
        ],
        dtype=float,
    )
    lib_p = np.array([w for _, _, w in NO_CONFIG_LIBRARIES], dtype=float)
    lib_p /= lib_p.sum()
    n_authors = max(20, n_models // 12)
    # Zipf-like authors: a few organisations upload many models
    author_p = 1.0 / np.arange(1, n_authors + 1) ** 1.1
    author_p /= author_p.sum()
    times = _creation_times(rng, n_models)

    items: list[dict[str, Any]] = []
    readmes: dict[str, str] = {}
    seen: set[str] = set()
    for i in range(n_models):
        created = START + timedelta(seconds=float(times[i]))
        month = (created.year - START.year) * 12 + created.month - 1
        a = int(rng.choice(n_authors, p=author_p))
        author = f"demo-org-{a:04d}" if a % 3 == 0 else f"demo-user-{a:05d}"
        if rng.random() < NO_CONFIG_SHARE:
            lib, pipe, _ = NO_CONFIG_LIBRARIES[int(rng.choice(len(NO_CONFIG_LIBRARIES), p=lib_p))]
            model_type, arch = None, None
            stem = lib or "model"
        else:
            model_type = _pick_type(rng, month, names, params)
            _, _, _, pipe, arch = MODEL_TYPES[model_type]
            lib = "transformers"
            stem = model_type.replace("_", "-")
        words = "-".join(rng.choice(TASK_WORDS, size=int(rng.integers(1, 3)), replace=False))
        model_id = f"{author}/{stem}-{words}-{i:07d}"
        if model_id in seen:  # cannot happen (index suffix), kept as a guard
            continue
        seen.add(model_id)
        has_readme = rng.random() < README_SHARE
        has_card = has_readme and rng.random() < CARD_DATA_SHARE / README_SHARE
        card = None
        if has_card:
            card = {"license": str(rng.choice(LICENSES))}
            if rng.random() < 0.6:
                card["language"] = [str(rng.choice(LANGUAGES))]
            if rng.random() < 0.4:
                card["tags"] = ["generated_from_trainer"]
            if rng.random() < 0.3:
                card["datasets"] = [f"demo-datasets/set-{int(rng.integers(0, 50)):02d}"]
        modified = created + timedelta(days=float(rng.exponential(60)))
        if modified > END:
            modified = END - timedelta(seconds=float(rng.integers(1, 86400)))
        siblings = [".gitattributes"]
        if has_readme:
            siblings.append("README.md")
        if model_type:
            siblings += [
                "config.json",
                "model.safetensors" if created.year >= 2023 else "pytorch_model.bin",
            ]
        tags = ([lib] if lib else []) + ([model_type] if model_type else [])
        tags += ([pipe] if pipe else []) + ["region:us"]
        if card:
            tags.append(f"license:{card['license']}")
        item: dict[str, Any] = {
            "_id": _sha(seed, i)[:24],
            "id": model_id,
            "modelId": model_id,
            "author": author,
            "sha": _sha(seed + 1, i),
            "createdAt": FLOOR_ISO if created < FLOOR else _iso(created),
            "lastModified": _iso(max(modified, created)),
            "private": False,
            "downloads": int(rng.lognormal(2.0, 2.5)),
            "likes": int(rng.lognormal(-0.5, 1.5)),
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
        items.append(item)
        if has_readme:
            readmes[model_id] = _readme(rng, model_id, card, model_type)

    # list pages, in creation order as the crawl stores them
    n_pages = 0
    for start in range(0, len(items), page_size):
        n_pages += 1
        nxt = (
            f"{DEMO_ENDPOINT}/api/models?cursor=demo-{n_pages + 1}"
            if start + page_size < len(items)
            else None
        )
        atomic_write_json_gz(
            hub_raw.page_path(hub_dir, n_pages),
            {
                "url": f"{DEMO_ENDPOINT}/api/models?cursor=demo-{n_pages}",
                "next": nxt,
                "items": items[start : start + page_size],
            },
        )
    # README shards: every model that lists README.md has its text
    by_shard: dict[int, list[dict[str, Any]]] = {k: [] for k in range(card_shards)}
    for model_id in sorted(readmes):
        by_shard[hub_raw.shard_of(model_id, card_shards)].append(
            {"model_id": model_id, "status": 200, "text": readmes[model_id]}
        )
    for k, recs in by_shard.items():
        shard = hub_raw.shard_name(k, card_shards)
        for part, start in enumerate(range(0, len(recs), 500), 1):
            atomic_write_jsonl_gz(
                hub_raw.part_path(hub_dir, shard, part), recs[start : start + 500]
            )
        atomic_write_json(
            hub_raw.shard_marker(hub_dir, shard),
            {
                "synthetic": True,
                "shard": shard,
                "cards": len(recs),
                "fetched": len(recs),
                "not_found": 0,
                "stats": {"requests": 0},
            },
        )
    manifest = {
        "synthetic": True,
        "generator": "hfreuse.hub_demo.generate_hub_snapshot",
        "seed": seed,
        "endpoint": DEMO_ENDPOINT,
        "query": {"sort": "createdAt", "direction": 1, "limit": page_size},
        "models": len(items),
        "pages": n_pages,
        "readmes": len(readmes),
        "card_shards": card_shards,
        "crawl_started_at": _iso(END),
        "crawl_finished_at": _iso(END),
        "stats": {"requests": 0, "retries": 0, "errors": 0},
    }
    atomic_write_json(hub_dir / "manifest.json", manifest)
    log.info(
        "demo hub snapshot: %d models in %d pages, %d READMEs", len(items), n_pages, len(readmes)
    )
    return manifest
