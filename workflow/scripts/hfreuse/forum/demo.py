"""Seeded generator of a SYNTHETIC raw forum snapshot, in exactly the live crawl's raw format.

Shaped like the HuggingFace forum (discuss.huggingface.co), made up: categories like the real
ones (Beginners, Transformers, Models, Datasets, Intermediate, Spaces, ...) that open at their
real time, topics from 2020-07 growing over the years, many topics without a reply and some with
more than 20 posts (so the posts beyond the first chunk come as ``posts.json`` batches, as in a
crawl), pinned "About the category" topics and announcements, accepted answers written by staff,
by the asker and by other users, and post texts that mention model names in Zipf-like
proportions whose popularity moves over time (the Hub demo's model types and dates, with aliases
such as "GPT-2", "XLM-R", "wav2vec 2.0"), plus common words that are also model names ("clip",
"whisper", "opt", "led", "git", "sam", "align") used as plain words, and code blocks.
Usernames are ``demo_user_0042`` / ``demo_staff_03``; the manifest says ``synthetic: true``.

With ``hostile_names`` (config ``demo.hostile_names``, a security check) some categories are
served under names, and every fifth question under a title, that would run as script in a
careless HTML page or as a formula in a spreadsheet (:data:`HOSTILE_CATEGORIES`,
:data:`HOSTILE_TITLES`); the draws, and so everything else, stay the same.

:func:`generate_forum_snapshot` streams topics to disk as it makes them (memory grows only with
a small summary per topic), so it scales to today's forum size. Same seed, same bytes.
"""

from __future__ import annotations

import hashlib
import html
import logging
import math
import random
import shutil
from bisect import bisect_right
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..hub.demo import MODEL_TYPES
from ..io import atomic_write_json
from . import raw as raw
from .site import BASIC_INFO, site_path

log = logging.getLogger(__name__)

START = datetime(2020, 7, 1, tzinfo=UTC)
END = datetime(2025, 6, 18, tzinfo=UTC)  # the demo "crawl" date, as the Hub demo's
DEMO_BASE_URL = "https://forum.demo.invalid"
DEMO_FORUM_TITLE = "hfreuse demo forum (SYNTHETIC)"
PAGE_SIZE = 30
STAFF = 8

# (category id, name, slug, first month, relative weight, share of topics that mention a model)
CATEGORIES: list[tuple[int, str, str, str, float, float]] = [
    (1, "Site Feedback", "site-feedback", "2020-07", 0.6, 0.05),
    (5, "Beginners", "beginners", "2020-07", 30.0, 0.55),
    (6, "Intermediate", "intermediate", "2020-07", 7.0, 0.6),
    (7, "Research", "research", "2020-07", 3.0, 0.5),
    (9, "Transformers", "transformers", "2020-07", 18.0, 0.75),
    (10, "Datasets", "datasets", "2020-07", 5.0, 0.15),
    (11, "Tokenizers", "tokenizers", "2020-07", 2.0, 0.5),
    (13, "Models", "models", "2020-08", 8.0, 0.85),
    (14, "Show and Tell", "show-and-tell", "2020-09", 1.2, 0.4),
    (15, "Uncategorized", "uncategorized", "2020-07", 0.5, 0.3),
    (16, "Community Calls", "community-calls", "2021-01", 0.3, 0.3),
    (17, "Hub", "hub", "2021-01", 2.0, 0.2),
    (18, "Amazon SageMaker", "sagemaker", "2021-03", 2.0, 0.5),
    (19, "Accelerate", "accelerate", "2021-04", 1.5, 0.35),
    (20, "Course", "course", "2021-06", 2.0, 0.4),
    (21, "Flax/JAX Projects", "flax-jax-projects", "2021-06", 1.0, 0.5),
    (22, "Optimum", "optimum", "2021-09", 0.8, 0.5),
    (23, "Spaces", "spaces", "2021-10", 6.0, 0.15),
    (24, "Gradio", "gradio", "2021-10", 3.0, 0.15),
    (25, "AutoTrain", "autotrain", "2022-03", 1.0, 0.4),
    (26, "Diffusers", "diffusers", "2022-08", 4.0, 0.2),
    (27, "Inference Endpoints", "inference-endpoints", "2022-10", 1.5, 0.4),
]
MODEL_CATEGORIES = {"Beginners", "Intermediate", "Transformers", "Models", "Research"}
# demo.hostile_names: category names served instead (by id) and titles put before every fifth
# question's title (script and formula injection, like hfreuse.hub.demo.HOSTILE_MODEL_TYPES)
HOSTILE_CATEGORIES = {
    9: "</script><script>window.__pwned='category';document.title='PWNED category'</script>",
    13: "\"><img src=x onerror=window.__pwned='cat-img';document.title='PWNED-cat-img'>",
    23: "=cmd|' /C calc'!A0",
    10: "@SUM(1+1)*cmd|' /C calc'!A0",
    26: "+cmd|' /C notepad'!A0",
    24: "-2+3+cmd|' /C calc'!A0",
}
HOSTILE_TITLES = [
    "</script><script>window.__pwned='title';document.title='PWNED title'</script>",
    "\"><img src=x onerror=window.__pwned='title-img';document.title='PWNED-title-img'>",
    "=cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "+cmd|' /C notepad'!A0",
    "-2+3+cmd|' /C calc'!A0",
    '=HYPERLINK("http://evil.invalid","click")',
]

# how a model type appears in text; the first form is the usual one
ALIASES: dict[str, list[str]] = {
    "bert": ["BERT", "bert-base-uncased", "bert-base-cased", "BERT-large"],
    "gpt2": ["GPT-2", "gpt2", "GPT2", "gpt2-medium"],
    "distilbert": ["DistilBERT", "distilbert-base-uncased"],
    "roberta": ["RoBERTa", "roberta-base", "roberta-large"],
    "t5": ["T5", "t5-small", "t5-base", "flan-t5-base"],
    "llama": ["Llama 2", "LLaMA", "Llama-2-7b-hf", "Llama 3"],
    "wav2vec2": ["wav2vec2", "Wav2Vec2", "wav2vec 2.0", "wav2vec2-base-960h"],
    "whisper": ["Whisper", "whisper-small", "whisper-large-v3"],
    "bart": ["BART", "bart-large-cnn", "bart-base"],
    "xlm-roberta": ["XLM-R", "xlm-roberta-base", "XLM-RoBERTa"],
    "mistral": ["Mistral", "Mistral-7B", "Mistral-7B-Instruct"],
    "vit": ["ViT", "vit-base-patch16-224"],
    "marian": ["MarianMT", "opus-mt-en-de"],
    "deberta-v2": ["DeBERTa-v3", "deberta-v3-base", "DeBERTa-v2"],
    "electra": ["ELECTRA", "electra-small-discriminator"],
    "albert": ["ALBERT", "albert-base-v2"],
    "mt5": ["mT5", "mt5-small"],
    "gpt_neox": ["GPT-NeoX", "pythia-1b"],
    "opt": ["OPT", "opt-350m", "OPT-1.3b"],
    "clip": ["CLIP", "clip-vit-base-patch32"],
    "qwen2": ["Qwen2", "Qwen2.5-7B-Instruct"],
    "gemma": ["Gemma", "gemma-2b"],
    "phi": ["Phi-2", "phi-3-mini"],
    "falcon": ["Falcon", "falcon-7b"],
    "bloom": ["BLOOM", "bloom-560m"],
    "gpt_neo": ["GPT-Neo", "gpt-neo-1.3B"],
    "pegasus": ["Pegasus", "pegasus-xsum"],
    "longformer": ["Longformer", "longformer-base-4096"],
    "camembert": ["CamemBERT", "camembert-base"],
    "led": ["LED", "led-base-16384"],
    "swin": ["Swin", "swin-tiny-patch4-window7-224"],
    "segformer": ["SegFormer", "segformer-b0"],
    "blip": ["BLIP", "blip-image-captioning-base"],
    "sam": ["SAM", "sam-vit-base"],
    "git": ["GIT", "git-base-coco"],
}
# how much more (or less) a model type is discussed than its uploads alone would say: speech
# and seq2seq models raise many questions, fine-tuned encoders and translation models few
DISCUSSION: dict[str, float] = {
    "whisper": 1.6,
    "wav2vec2": 1.4,
    "t5": 1.3,
    "clip": 1.3,
    "llama": 1.2,
    "bart": 1.2,
    "gemma": 1.2,
    "distilbert": 0.7,
    "xlm-roberta": 0.7,
    "vit": 0.8,
    "albert": 0.8,
    "deberta-v2": 0.6,
    "qwen2": 0.6,
    "electra": 0.6,
    "marian": 0.5,
    "camembert": 0.5,
}
# repository ids used in code blocks
REPOS: dict[str, str] = {
    "bert": "bert-base-uncased",
    "gpt2": "gpt2",
    "distilbert": "distilbert-base-uncased",
    "roberta": "roberta-base",
    "t5": "t5-small",
    "llama": "meta-llama/Llama-2-7b-hf",
    "wav2vec2": "facebook/wav2vec2-base-960h",
    "whisper": "openai/whisper-small",
    "bart": "facebook/bart-large-cnn",
    "xlm-roberta": "xlm-roberta-base",
    "mistral": "mistralai/Mistral-7B-v0.1",
    "vit": "google/vit-base-patch16-224",
    "opt": "facebook/opt-350m",
    "clip": "openai/clip-vit-base-patch32",
}
# common words that are also model names, in plain use
PLAIN_WORDS = [
    "I had to clip the gradients to 1.0 before the loss stopped exploding.",
    "The audio clip is about 30 seconds long.",
    "Which led to the same error again.",
    "This led me to believe the cache was stale.",
    "I would opt for a smaller batch size first.",
    "You can opt out of telemetry with an environment variable.",
    "I ran git pull and git lfs install, then pushed again.",
    "After git clone the large files were only pointers.",
    "My colleague Sam suggested checking the tokenizer first.",
    "Make sure you align the labels with the word ids.",
    "The speed-up was barely a whisper of what the blog post promised.",
]
TASKS = [
    "text classification",
    "named entity recognition",
    "summarization",
    "translation",
    "question answering",
    "speech recognition",
    "image classification",
    "text generation",
    "sentiment analysis",
]
QUESTIONS = [
    "I am trying to fine-tune {m} for {task} on my own data, but the loss does not go down.",
    "How can I load {m} with from_pretrained when the machine is offline?",
    "I get a CUDA out of memory error when training {m} with batch size {bs}.",
    "Is there a way to export {m} to ONNX and keep the same outputs?",
    "What is the difference between {m} and {m2} for {task}?",
    "My {m} model predicts the same label for every input after training.",
    "The tokenizer of {m} splits words in a way I did not expect.",
    "Which generation parameters should I use with {m} to avoid repetition?",
    "Can I use {m} for {task} in a language other than English?",
]
OTHER_QUESTIONS = {
    "Datasets": [
        "How do I push my dataset with several splits to the Hub?",
        "load_dataset is very slow on my CSV files, is streaming an option?",
        "Map with batched=True changes the number of rows, why?",
    ],
    "Spaces": [
        "My Space is stuck on Building for an hour.",
        "How do I set secrets for my Space?",
        "The Space runs out of memory on the free hardware.",
    ],
    "Gradio": [
        "The Gradio interface shows an error after the update.",
        "How can I stream outputs in a Gradio chatbot?",
    ],
    "Diffusers": [
        "Stable Diffusion produces black images with fp16.",
        "How do I use a LoRA with the Stable Diffusion XL pipeline?",
        "The img2img pipeline ignores the strength parameter.",
    ],
    "Hub": [
        "I cannot push to my repository: authentication failed.",
        "How do I make a private model public?",
    ],
}
GENERIC_QUESTIONS = [
    "I get an error when running the example script from the documentation.",
    "Where can I find the documentation for this feature?",
    "The training stops after the first epoch without an error.",
    "Is there a recommended way to log metrics to an external tracker?",
]
ANSWERS = [
    'You can pass device_map="auto" to spread {m} over the available GPUs.',
    "Try lowering the learning rate to {lr} and use gradient accumulation.",
    "This was fixed in the latest release, please upgrade and try again.",
    "Have a look at the documentation of {m}, there is an example for {task}.",
    "The tokenizer and the model must come from the same checkpoint.",
    "Set padding to max_length and truncation to True in the tokenizer call.",
    "Could you share the full traceback and the versions you use?",
]
FOLLOW_UPS = [
    "Thanks, that solved it!",
    "I have the same problem, any news?",
    "That helped, but now I get a different error.",
    "I tried that, it did not change anything.",
]
ERRORS = [
    "RuntimeError: CUDA out of memory. Tried to allocate 20.00 MiB",
    "ValueError: Expected input batch_size (16) to match target batch_size (8).",
    "OSError: Can't load tokenizer for the checkpoint.",
    "KeyError: 'labels'",
]
TAGS = ["transformers", "datasets", "pytorch", "tensorflow", "training", "inference", "tokenizer"]


def _iso(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


def _month_index(ym: str) -> int:
    y, m = map(int, ym.split("-"))
    return (y - START.year) * 12 + (m - START.month)


def _month_start(index: int) -> datetime:
    y, m = divmod(START.month - 1 + index, 12)
    return datetime(START.year + y, m + 1, 1, tzinfo=UTC)


N_MONTHS = _month_index(END.strftime("%Y-%m")) + 1


def _month_weights() -> list[float]:
    """Topics per month: a quick start, strong growth through 2021-2023, then a plateau."""
    out = []
    for i in range(N_MONTHS):
        w = 1.0 + 6.0 / (1.0 + math.exp(-(i - 17) / 6.0))
        if i == N_MONTHS - 1:  # the crawl ends mid-month
            w *= (END - _month_start(i)).total_seconds() / (
                (_month_start(i + 1) - _month_start(i)).total_seconds()
            )
        out.append(w)
    return out


def _model_weights(month: int) -> tuple[list[str], list[float]]:
    """Cumulative mention weights of model types in a month (Zipf-like, moving over time).

    Discussion follows the Hub demo's popularity curves but fades faster after the peak, so a
    model such as BERT keeps being uploaded while it is talked about less.
    """
    names, cum, total = [], [], 0.0
    for name, (weight, first, peak, *_rest) in MODEL_TYPES.items():
        if name not in ALIASES:
            continue
        f, p = _month_index(first), _month_index(peak)
        if month < f:
            continue
        shape = math.exp(-(p - month) / 8.0) if month <= p else 0.5 ** ((month - p) / 10.0)
        total += weight * shape * DISCUSSION.get(name, 1.0)
        names.append(name)
        cum.append(total)
    return names, cum


class _Users:
    def __init__(self, rng: random.Random, n_users: int) -> None:
        self.names = [f"demo_user_{i:04d}" for i in range(1, n_users + 1)]
        # Zipf-like activity: a few users write a lot
        self.cum = list(accumulate(1.0 / (i + 1) ** 0.9 for i in range(n_users)))
        self.rng = rng
        self.staff = [f"demo_staff_{i:02d}" for i in range(1, STAFF + 1)]

    def pick(self) -> tuple[int, str]:
        i = bisect_right(self.cum, self.rng.random() * self.cum[-1])
        i = min(i, len(self.names) - 1)
        return 1000 + i, self.names[i]

    def pick_staff(self) -> tuple[int, str]:
        i = self.rng.randrange(STAFF)
        return 10 + i, self.staff[i]


def _pick_model(rng: random.Random, month: int, cache: dict[int, Any]) -> str | None:
    got = cache.get(month)
    if got is None:
        got = cache[month] = _model_weights(month)
    names, cum = got
    if not names:
        return None
    return names[bisect_right(cum, rng.random() * cum[-1])] if cum[-1] > 0 else names[0]


def _alias(rng: random.Random, model: str) -> str:
    forms = ALIASES[model]
    return forms[0] if rng.random() < 0.6 else rng.choice(forms)


def _code_block(rng: random.Random, model: str | None) -> str:
    if model and model in REPOS and rng.random() < 0.7:
        repo = REPOS[model]
        code = (
            "from transformers import AutoModel, AutoTokenizer\n\n"
            f'tokenizer = AutoTokenizer.from_pretrained("{repo}")\n'
            f'model = AutoModel.from_pretrained("{repo}")\n'
            'inputs = tokenizer("Hello world", return_tensors="pt")\n'
            "outputs = model(**inputs)\n"
        )
        return f'<pre><code class="lang-python">{html.escape(code)}</code></pre>'
    return f"<pre><code>{html.escape(rng.choice(ERRORS))}</code></pre>"


def _paragraphs(parts: list[str]) -> str:
    return "\n".join(f"<p>{p}</p>" for p in parts)


def _fmt(rng: random.Random, template: str, model: str | None, month: int, cache) -> str:
    other = _pick_model(rng, month, cache) if model else None
    return template.format(
        m=html.escape(_alias(rng, model)) if model else "the model",
        m2=html.escape(_alias(rng, other)) if other and other != model else "a larger model",
        task=rng.choice(TASKS),
        bs=rng.choice([8, 16, 32, 64]),
        lr=rng.choice(["1e-5", "2e-5", "5e-5", "3e-4"]),
    )


def _question(rng, category: str, mention_share: float, month: int, cache) -> tuple[str, str]:
    """(title, cooked) of a first post."""
    model = _pick_model(rng, month, cache) if rng.random() < mention_share else None
    if model:
        text = _fmt(rng, rng.choice(QUESTIONS), model, month, cache)
        title = f"{_alias(rng, model)}: {rng.choice(TASKS)} question"
    else:
        pool = OTHER_QUESTIONS.get(category, GENERIC_QUESTIONS)
        text = html.escape(rng.choice(pool))
        title = text.rstrip("?.!").split(",")[0][:70]
    parts = [text]
    if rng.random() < 0.08:
        parts.append(html.escape(rng.choice(PLAIN_WORDS)))
    parts.append(
        f"Environment: transformers 4.{rng.randint(5, 45)}.0, Python 3.{rng.randint(7, 11)}"
    )
    cooked = _paragraphs(parts)
    if rng.random() < 0.3:
        cooked += "\n" + _code_block(rng, model)
    return html.unescape(title), cooked


def _reply(rng, month: int, cache, mention_share: float, mention_user: str | None) -> str:
    model = _pick_model(rng, month, cache) if rng.random() < mention_share * 0.5 else None
    if rng.random() < 0.25:
        parts = [html.escape(rng.choice(FOLLOW_UPS))]
    else:
        parts = [_fmt(rng, rng.choice(ANSWERS), model, month, cache)]
    if mention_user and rng.random() < 0.15:
        parts[0] = f'<a class="mention" href="/u/{mention_user}">@{mention_user}</a> ' + parts[0]
    if rng.random() < 0.05:
        parts.append(html.escape(rng.choice(PLAIN_WORDS)))
    cooked = _paragraphs(parts)
    if rng.random() < 0.12:
        cooked += "\n" + _code_block(rng, model)
    return cooked


SINGLE_POST_SHARE = 0.37
MAX_POSTS = 400


def _n_posts(rng: random.Random, mu: float) -> int:
    """Posts of a topic: 37 % single posts, else 2 + floor(lognormal(mu, 1)), at most 400."""
    if rng.random() < SINGLE_POST_SHARE:
        return 1
    return min(2 + int(rng.lognormvariate(mu, 1.0)), MAX_POSTS)


def _mean_posts(mu: float) -> float:
    def cdf(x: float) -> float:  # P(lognormal(mu, 1) < x)
        return 0.5 * (1 + math.erf((math.log(x) - mu) / math.sqrt(2))) if x > 0 else 0.0

    replied = sum(
        min(2 + k, MAX_POSTS) * (cdf(k + 1) - cdf(k)) for k in range(MAX_POSTS)
    ) + MAX_POSTS * (1 - cdf(MAX_POSTS))
    return SINGLE_POST_SHARE + (1 - SINGLE_POST_SHARE) * replied


def _solve_mu(mean: float) -> float:
    """The ``mu`` of :func:`_n_posts` that gives ``mean`` posts per topic (bisection)."""
    lo, hi = -6.0, 6.0
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if _mean_posts(mid) < mean else (lo, mid)
    return (lo + hi) / 2


def _post(
    pid: int,
    tid: int,
    slug: str,
    number: int,
    when: datetime,
    user: tuple[int, str],
    staff: bool,
    cooked: str,
    reply_to: int | None,
    accepted: bool,
    topic_accepted: bool,
) -> dict[str, Any]:
    uid, name = user
    return {
        "id": pid,
        "name": "",
        "username": name,
        "avatar_template": f"/letter_avatar_proxy/v4/letter/d/{uid % 997:03d}/{{size}}.png",
        "created_at": _iso(when),
        "cooked": cooked,
        "post_number": number,
        "post_type": 1,
        "updated_at": _iso(when),
        "reply_count": 0,
        "reply_to_post_number": reply_to,
        "quote_count": 0,
        "reads": 1 + (pid * 7919) % 90,
        "topic_id": tid,
        "topic_slug": slug,
        "display_username": "",
        "primary_group_name": None,
        "version": 1,
        "moderator": staff,
        "admin": staff and uid < 12,
        "staff": staff,
        "user_id": uid,
        "trust_level": 4 if staff else 1 + uid % 3,
        "hidden": False,
        "deleted_at": None,
        "user_deleted": False,
        "accepted_answer": accepted,
        "topic_accepted_answer": topic_accepted,
    }


def _slug(title: str) -> str:
    out = "".join(ch.lower() if ch.isalnum() else "-" for ch in title)
    return "-".join(p for p in out.split("-") if p)[:80] or "topic"


def _prepare_dir(forum_dir: Path, n_topics: int, mean_posts_per_topic: float) -> None:
    """Check the settings; empty the demo's own snapshot (never a crawled one) and mark it."""
    if n_topics < len(CATEGORIES) + 10:
        raise InputError(
            f"demo.forum_topics: expected at least {len(CATEGORIES) + 10}, got {n_topics}"
        )
    if not 1.7 <= mean_posts_per_topic <= 50:
        raise InputError(f"mean_posts_per_topic: expected 1.7 to 50, got {mean_posts_per_topic}")
    marker = forum_dir / ".synthetic"
    if (forum_dir / "topics").exists() and not marker.exists():
        raise InputError(
            f"{forum_dir}: holds a crawled forum snapshot; the demo generator writes only into "
            "its own snapshots (use another snapshot id)"
        )
    for sub in ("topics", "latest"):
        shutil.rmtree(forum_dir / sub, ignore_errors=True)
    forum_dir.mkdir(parents=True, exist_ok=True)
    marker.write_text("synthetic demo snapshot written by hfreuse.forum.demo\n")


def _categories_by_month() -> list[tuple[list[tuple], list[float]]]:
    """Per month: the open categories and their cumulative weights (category of a topic)."""
    month_cats = []
    for m in range(N_MONTHS):
        open_cats = [c for c in CATEGORIES if _month_index(c[3]) <= m]
        month_cats.append((open_cats, list(accumulate(c[4] for c in open_cats))))
    return month_cats


def _plan_topics(rng: random.Random, n_topics: int) -> list[tuple[datetime, str, Any]]:
    """``(created, kind, extra)`` of every topic in creation order: regular questions (extra:
    month index), one pinned "About the X category" per category (extra: the category) and two
    global announcements (extra: 0 or 1)."""
    mw = list(accumulate(_month_weights()))
    n_special = len(CATEGORIES) + 2
    n_regular = n_topics - n_special
    months = sorted(bisect_right(mw, rng.random() * mw[-1]) for _ in range(n_regular))
    plan: list[tuple[datetime, str, Any]] = []
    for m in months:
        start = _month_start(m)
        span = (min(_month_start(m + 1), END) - start).total_seconds()
        plan.append((start + timedelta(seconds=rng.random() * span), "regular", m))
    for cat in CATEGORIES:  # "About the X category": pinned, opened with the category
        plan.append((_month_start(_month_index(cat[3])) + timedelta(hours=9), "about", cat))
    plan.append((datetime(2021, 3, 15, 16, tzinfo=UTC), "announce", 0))
    plan.append((datetime(2023, 5, 2, 15, tzinfo=UTC), "announce", 1))
    plan.sort(key=lambda p: p[0])
    return plan


def _reply_times(rng: random.Random, created: datetime, n_posts: int) -> list[datetime]:
    """Post times: gaps of minutes to days, never past the crawl date."""
    times = [created]
    for _ in range(n_posts - 1):
        gap = rng.expovariate(1.0 / 20.0) if rng.random() < 0.8 else rng.expovariate(1 / 400)
        times.append(min(times[-1] + timedelta(hours=gap), END - timedelta(minutes=1)))
    return times


def _accepted_answer(rng: random.Random, kind: str, n_posts: int) -> tuple[int | None, str | None]:
    """``(post number, author kind)`` of the accepted answer of a question, or ``(None, None)``."""
    if kind == "regular" and n_posts >= 2 and rng.random() < 0.2:
        accepted_number = rng.randint(2, min(n_posts, 6))
        r = rng.random()
        return accepted_number, "staff" if r < 0.35 else ("asker" if r < 0.47 else "other")
    return None, None


def _listing_entry(
    tid: int,
    title: str,
    slug: str,
    created: datetime,
    posts: list[dict[str, Any]],
    asker: tuple[int, str],
    category_id: int,
    pinned: bool,
    pinned_globally: bool,
    accepted_number: int | None,
    stats: tuple[int, int, list[str]],
) -> dict[str, Any]:
    """The topic as ``/latest.json`` lists it."""
    views, likes, tags = stats
    n_posts = len(posts)
    last = posts[-1]["created_at"]
    return {
        "id": tid,
        "title": title,
        "fancy_title": html.escape(title),
        "slug": slug,
        "posts_count": n_posts,
        "reply_count": sum(1 for p in posts if p["reply_to_post_number"] is not None),
        "highest_post_number": n_posts,
        "image_url": None,
        "created_at": _iso(created),
        "last_posted_at": last,
        "bumped": True,
        "bumped_at": last,
        "archetype": "regular",
        "unseen": False,
        "pinned": pinned,
        "unpinned": None,
        "visible": True,
        "closed": False,
        "archived": False,
        "bookmarked": None,
        "liked": None,
        "tags": tags,
        "views": views,
        "like_count": likes,
        "has_summary": False,
        "last_poster_username": posts[-1]["username"],
        "category_id": category_id,
        "pinned_globally": pinned_globally,
        "featured_link": None,
        "has_accepted_answer": accepted_number is not None,
        "posters": [
            {"description": "Original Poster", "user_id": asker[0]},
            {"description": "Most Recent Poster", "user_id": posts[-1]["user_id"]},
        ],
    }


def _topic_view(
    entry: dict[str, Any],
    posts: list[dict[str, Any]],
    asker: tuple[int, str],
    accepted_number: int | None,
) -> dict[str, Any]:
    """The topic as ``/t/{id}.json`` serves it (the first chunk of posts)."""
    n_posts = len(posts)
    topic = {
        "id": entry["id"],
        "title": entry["title"],
        "fancy_title": entry["fancy_title"],
        "slug": entry["slug"],
        "posts_count": n_posts,
        "created_at": entry["created_at"],
        "last_posted_at": entry["last_posted_at"],
        "views": entry["views"],
        "reply_count": entry["reply_count"],
        "like_count": entry["like_count"],
        "highest_post_number": n_posts,
        "visible": True,
        "closed": False,
        "archived": False,
        "archetype": "regular",
        "category_id": entry["category_id"],
        "tags": entry["tags"],
        "pinned": entry["pinned"],
        "pinned_globally": entry["pinned_globally"],
        "user_id": asker[0],
        "word_count": sum(len(p["cooked"].split()) for p in posts),
        "deleted_at": None,
        "details": {"created_by": {"id": asker[0], "username": asker[1]}},
        "post_stream": {
            "posts": posts[: raw.POSTS_BATCH],
            "stream": [p["id"] for p in posts],
        },
    }
    if accepted_number is not None:
        ap = posts[accepted_number - 1]
        topic["accepted_answer"] = {
            "post_number": accepted_number,
            "username": ap["username"],
            "name": "",
            "excerpt": ap["cooked"][:120],
        }
    return topic


def _post_batches(tid: int, posts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The posts beyond the first chunk, as ``/t/{id}/posts.json`` batches."""
    return [
        {"post_stream": {"posts": posts[i : i + raw.POSTS_BATCH]}, "id": tid}
        for i in range(raw.POSTS_BATCH, len(posts), raw.POSTS_BATCH)
    ]


class _TopicMaker:
    """Makes the topics of the plan one by one, drawing from one seeded RNG in a fixed order."""

    def __init__(
        self, rng: random.Random, users: _Users, mu: float, n_topics: int, hostile: bool = False
    ) -> None:
        self.rng, self.users, self.mu = rng, users, mu
        self.hostile = hostile
        self.questions = 0
        self.cache: dict[int, Any] = {}
        self.month_cats = _categories_by_month()
        self.id_step = max(1, 150_000 // n_topics)
        self.tid = 0
        self.pid = 0

    def make(self, created: datetime, kind: str, extra: Any, crawl: str) -> dict[str, Any]:
        """The stored record of the next topic (its listing entry under ``listed``)."""
        rng = self.rng
        self.tid += rng.randint(1, 2 * self.id_step - 1) if self.id_step > 1 else 1
        tid = self.tid
        month = _month_index(created.strftime("%Y-%m"))
        pinned_globally = kind == "announce"
        pinned = kind != "regular"
        cat, title, n_posts, mention_share = self._kind(kind, extra, month)
        category_id, category = cat[0], cat[1]
        asker = self.users.pick_staff() if pinned else self.users.pick()
        if kind == "regular":
            title, first = _question(rng, category, mention_share, month, self.cache)
            self.questions += 1
            if self.hostile and self.questions % 5 == 1:
                pick = (self.questions // 5) % len(HOSTILE_TITLES)
                title = f"{HOSTILE_TITLES[pick]} {title}"
        else:
            first = _paragraphs(
                [f"{html.escape(title)}. Please read the guidelines before posting."]
            )
        slug = _slug(title)
        times = _reply_times(rng, created, n_posts)
        accepted_number, accepted_kind = _accepted_answer(rng, kind, n_posts)
        posts = self._posts(
            tid,
            slug,
            times,
            asker,
            pinned,
            first,
            month,
            mention_share,
            accepted_number,
            accepted_kind,
        )
        entry = _listing_entry(
            tid,
            title,
            slug,
            created,
            posts,
            asker,
            category_id,
            pinned,
            pinned_globally,
            accepted_number,
            self._stats(created, n_posts),
        )
        return {
            "version": raw.RECORD_VERSION,
            "topic_id": tid,
            "status": 200,
            "fetched_at": crawl,
            "listed": entry,
            "topic": _topic_view(entry, posts, asker, accepted_number),
            "post_batches": _post_batches(tid, posts),
        }

    def _kind(self, kind: str, extra: Any, month: int) -> tuple[tuple, str | None, int, float]:
        """``(category, title, posts, mention share)``; a question's title comes later."""
        rng = self.rng
        if kind == "about":
            cat = extra
            return cat, f"About the {cat[1]} category", 1, 0.0
        if kind == "announce":
            cat = CATEGORIES[0] if extra == 0 else next(c for c in CATEGORIES if c[1] == "Hub")
            title = ["Welcome to the forum: read this first", "New forum guidelines"][extra]
            return cat, title, 8 + rng.randint(0, 30), 0.1
        cats, cum = self.month_cats[month]
        cat = cats[bisect_right(cum, rng.random() * cum[-1])]
        return cat, None, _n_posts(rng, self.mu), cat[5]

    def _posts(
        self,
        tid: int,
        slug: str,
        times: list[datetime],
        asker: tuple[int, str],
        pinned: bool,
        first: str,
        month: int,
        mention_share: float,
        accepted_number: int | None,
        accepted_kind: str | None,
    ) -> list[dict[str, Any]]:
        """The posts of a topic: the first by the asker, then replies by staff, the asker and
        other users (the accepted answer by its chosen kind of author)."""
        rng, users = self.rng, self.users
        posts: list[dict[str, Any]] = []
        for number in range(1, len(times) + 1):
            self.pid += 1
            if number == 1:
                author, staff = asker, pinned
                cooked = first
                reply_to = None
            else:
                if number == accepted_number:
                    who = accepted_kind
                else:
                    r = rng.random()
                    who = "staff" if r < 0.12 else ("asker" if r < 0.4 else "other")
                if who == "staff":
                    author, staff = users.pick_staff(), True
                elif who == "asker":
                    author, staff = asker, pinned
                else:
                    author, staff = users.pick(), False
                mention = posts[-1]["username"] if posts else None
                cooked = _reply(rng, month, self.cache, mention_share, mention)
                reply_to = number - 1 if rng.random() < 0.3 else None
            posts.append(
                _post(
                    self.pid,
                    tid,
                    slug,
                    number,
                    times[number - 1],
                    author,
                    staff,
                    cooked,
                    reply_to,
                    number == accepted_number,
                    accepted_number is not None,
                )
            )
        return posts

    def _stats(self, created: datetime, n_posts: int) -> tuple[int, int, list[str]]:
        """``(views, likes, tags)`` of a topic."""
        rng = self.rng
        age_days = max((END - created).days, 1)
        views = int(rng.lognormvariate(math.log(40 + 4 * math.sqrt(age_days)), 0.8)) + n_posts
        likes = sum(int(rng.random() < 0.25) for _ in range(n_posts))
        tags = sorted(set(rng.sample(TAGS, rng.randint(1, 2)))) if rng.random() < 0.15 else []
        return views, likes, tags


def _listing_order(summaries: list[tuple[str, bool, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Listing entries as ``/latest.json`` orders them: globally pinned first, then by last
    activity (newest first)."""
    pinned_entries = [s[2] for s in summaries if s[1] and s[2]["pinned_globally"]]
    rest = [s for s in summaries if not (s[1] and s[2]["pinned_globally"])]
    rest.sort(key=lambda s: (s[0], s[2]["id"]), reverse=True)
    return pinned_entries + [s[2] for s in rest]


def _write_listing_pages(forum_dir: Path, ordered: list[dict[str, Any]], users: _Users) -> int:
    """The listing as the crawl stores it: 30 topics a page, up to the empty page; then the
    catch-up read of page 0 (all bumped before the crawl). Returns the number of pages."""
    users_by_id: dict[int, str] = {}
    for e in ordered:
        for poster in e["posters"]:
            uid = poster["user_id"]
            if uid not in users_by_id:
                users_by_id[uid] = users.staff[uid - 10] if uid < 1000 else users.names[uid - 1000]
    pages = [ordered[i : i + PAGE_SIZE] for i in range(0, len(ordered), PAGE_SIZE)] + [[]]
    for number, chunk in enumerate(pages):
        uids = sorted({p["user_id"] for e in chunk for p in e["posters"]})
        doc = {
            "users": [
                {"id": u, "username": users_by_id[u], "name": "", "avatar_template": ""}
                for u in uids
            ],
            "primary_groups": [],
            "topic_list": {
                "can_create_topic": False,
                "per_page": PAGE_SIZE,
                "topics": chunk,
                **(
                    {"more_topics_url": f"/latest?no_definitions=true&page={number + 1}"}
                    if len(chunk) == PAGE_SIZE
                    else {}
                ),
            },
        }
        raw.write_json_gz(raw.page_path(forum_dir, number), doc, atomic=False, level=1)
        if number == 0:
            raw.write_json_gz(raw.page_path(forum_dir, 0, "catchup"), doc, atomic=False, level=1)
    return len(pages)


def _categories_doc(
    entries: list[dict[str, Any]], names: dict[int, str] | None = None
) -> dict[str, Any]:
    """``/categories.json`` with every category's topic and post counts (``names``: names
    served instead of the usual ones, by category id)."""
    names = names or {}
    categories = {
        "category_list": {
            "can_create_category": False,
            "can_create_topic": False,
            "categories": [
                {
                    "id": c[0],
                    "name": names.get(c[0], c[1]),
                    "slug": c[2],
                    "color": f"{(c[0] * 2654435761) % 0xFFFFFF:06X}",
                    "text_color": "FFFFFF",
                    "topic_count": 0,
                    "post_count": 0,
                    "description": f"Synthetic demo category {names.get(c[0], c[1])}.",
                    "read_restricted": False,
                    "parent_category_id": None,
                    "subcategory_ids": [],
                }
                for c in sorted(CATEGORIES, key=lambda c: c[0])
            ],
        }
    }
    per_cat: dict[int, list[int]] = {}
    for e in entries:
        counts = per_cat.setdefault(e["category_id"], [0, 0])
        counts[0] += 1
        counts[1] += e["posts_count"]
    for c in categories["category_list"]["categories"]:
        c["topic_count"], c["post_count"] = per_cat.get(c["id"], [0, 0])
    return categories


def _request_counts(n_pages: int, entries: list[dict[str, Any]]) -> dict[str, Any]:
    """The requests a crawl of this forum would make: categories, listing pages, the catch-up
    page, one per topic and one per further batch of posts."""
    return {
        "requests": 1
        + n_pages
        + 1
        + len(entries)
        + sum(
            max(0, math.ceil((e["posts_count"] - raw.POSTS_BATCH) / raw.POSTS_BATCH))
            for e in entries
        ),
        "retries": 0,
        "errors": 0,
        "rate_limited": 0,
        "waited_seconds": 0.0,
        "statuses": {},
    }


def _site_doc() -> dict[str, Any]:
    """The demo forum's ``/site/basic-info.json`` record (:mod:`hfreuse.forum.site`)."""
    info = {"title": DEMO_FORUM_TITLE, "description": "Synthetic forum generated by hfreuse"}
    return {"url": DEMO_BASE_URL + BASIC_INFO, "status": 200, "basic_info": info}


def _write_listing_and_manifest(
    forum_dir: Path,
    crawl: str,
    n_pages: int,
    topic_ids: list[int],
    requests: dict[str, Any],
    n_posts_total: int,
    generator: dict[str, Any],
    snapshot: str | None,
) -> dict[str, Any]:
    """``listing.json`` and then ``manifest.json``, as the crawl's phases write them."""
    settings = {"base_url": DEMO_BASE_URL, "start": None, "end": None, "max_topics": None}
    listing = {
        "version": 1,
        "base_url": DEMO_BASE_URL,
        "settings": settings,
        "started_at": crawl,
        "finished_at": crawl,
        "pages": n_pages,
        "catchup_pages": 1,
        "reached_end": True,
        "topics_listed": len(topic_ids),
        "topics_selected": len(topic_ids),
        "topic_ids": sorted(topic_ids),
        "requests": requests,
        "synthetic": True,
    }
    atomic_write_json(raw.listing_path(forum_dir), listing)
    manifest = {
        "version": 1,
        "source": "demo",
        "synthetic": True,
        "note": "SYNTHETIC demo forum generated by hfreuse.forum.demo: not real forum data",
        "generator": generator,
        "snapshot": snapshot or forum_dir.parent.name,
        "base_url": DEMO_BASE_URL,
        "settings": {**settings, "previous_snapshot": None, "recheck_days": None},
        "listing_started_at": crawl,
        "started_at": crawl,
        "finished_at": crawl,
        "listing": {
            "pages": n_pages,
            "catchup_pages": 1,
            "reached_end": True,
            "topics_listed": len(topic_ids),
            "topics_selected": len(topic_ids),
        },
        "topics": {"fetched": len(topic_ids), "kept": 0, "reused": 0, "unavailable": 0},
        "posts": n_posts_total,
        "post_batches_fetched": requests["requests"] - 2 - n_pages - len(topic_ids),
        "posts_not_served": 0,
        "requests": requests,
    }
    atomic_write_json(raw.manifest_path(forum_dir), manifest)
    return manifest


def generate_forum_snapshot(
    forum_dir: str | Path,
    seed: int,
    n_topics: int,
    *,
    mean_posts_per_topic: float = 3.2,
    snapshot: str | None = None,
    hostile_names: bool = False,
) -> dict[str, Any]:
    """Write a synthetic raw forum snapshot of ``n_topics`` topics to ``forum_dir``.

    ``mean_posts_per_topic`` sets the average topic length (the HF forum of the study had about
    3.1; 4.0 gives 600,000 posts for 150,000 topics). Returns the manifest.
    """
    forum_dir = Path(forum_dir)
    _prepare_dir(forum_dir, n_topics, mean_posts_per_topic)
    rng = random.Random(seed)
    mu = _solve_mu(mean_posts_per_topic)
    users = _Users(rng, max(50, int(n_topics * 0.8)))
    crawl = _iso(END)
    maker = _TopicMaker(rng, users, mu, n_topics, hostile_names)
    # topics are streamed to disk; only a small summary of each stays in memory
    summaries: list[tuple[str, bool, dict[str, Any]]] = []
    topic_ids = []
    n_posts_total = 0
    for created, kind, extra in _plan_topics(rng, n_topics):
        record = maker.make(created, kind, extra, crawl)
        entry = record["listed"]
        raw.write_json_gz(raw.topic_path(forum_dir, entry["id"]), record, atomic=False, level=1)
        n_posts_total += entry["posts_count"]
        summaries.append((entry["bumped_at"], entry["pinned"], entry))
        topic_ids.append(entry["id"])

    n_pages = _write_listing_pages(forum_dir, _listing_order(summaries), users)
    entries = [e for _, _, e in summaries]
    names = HOSTILE_CATEGORIES if hostile_names else None
    raw.write_json_gz(raw.categories_path(forum_dir), _categories_doc(entries, names), atomic=False)
    raw.write_json_gz(site_path(forum_dir), _site_doc(), atomic=False)
    key = hashlib.sha256(f"hfreuse-demo-forum-{seed}".encode()).hexdigest()
    raw.write_key(forum_dir, key)
    generator = {
        "seed": seed,
        "n_topics": n_topics,
        "mean_posts_per_topic": mean_posts_per_topic,
    }
    if hostile_names:
        generator["hostile_names"] = True
    manifest = _write_listing_and_manifest(
        forum_dir,
        crawl,
        n_pages,
        topic_ids,
        _request_counts(n_pages, entries),
        n_posts_total,
        generator,
        snapshot,
    )
    log.info(
        "wrote a synthetic forum of %d topics and %d posts to %s",
        len(topic_ids),
        n_posts_total,
        forum_dir,
    )
    return manifest
