"""The words of the SYNTHETIC demo forum (:mod:`hfreuse.forum.demo`): questions, answers and
follow-ups whose model names come in Zipf-like proportions with a popularity that moves over
time (the Hub demo's model types and dates, with aliases such as "GPT-2", "XLM-R", "wav2vec
2.0"), common words that are also model names used as plain words, and code blocks.
"""

from __future__ import annotations

import html
import math
import random
from bisect import bisect_right
from typing import Any

from ..hub.demo import MODEL_TYPES
from .demo_plan import month_index

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


def _model_weights(month: int) -> tuple[list[str], list[float]]:
    """Cumulative mention weights of model types in a month (Zipf-like, moving over time).

    Discussion follows the Hub demo's popularity curves but fades faster after the peak, so a
    model such as BERT keeps being uploaded while it is talked about less.
    """
    names, cum, total = [], [], 0.0
    for name, (weight, first, peak, *_rest) in MODEL_TYPES.items():
        if name not in ALIASES:
            continue
        f, p = month_index(first), month_index(peak)
        if month < f:
            continue
        shape = math.exp(-(p - month) / 8.0) if month <= p else 0.5 ** ((month - p) / 10.0)
        total += weight * shape * DISCUSSION.get(name, 1.0)
        names.append(name)
        cum.append(total)
    return names, cum


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


def paragraphs(parts: list[str]) -> str:
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


def question(rng, category: str, mention_share: float, month: int, cache) -> tuple[str, str]:
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
    cooked = paragraphs(parts)
    if rng.random() < 0.3:
        cooked += "\n" + _code_block(rng, model)
    return html.unescape(title), cooked


def reply(rng, month: int, cache, mention_share: float, mention_user: str | None) -> str:
    model = _pick_model(rng, month, cache) if rng.random() < mention_share * 0.5 else None
    if rng.random() < 0.25:
        parts = [html.escape(rng.choice(FOLLOW_UPS))]
    else:
        parts = [_fmt(rng, rng.choice(ANSWERS), model, month, cache)]
    if mention_user and rng.random() < 0.15:
        parts[0] = f'<a class="mention" href="/u/{mention_user}">@{mention_user}</a> ' + parts[0]
    if rng.random() < 0.05:
        parts.append(html.escape(rng.choice(PLAIN_WORDS)))
    cooked = paragraphs(parts)
    if rng.random() < 0.12:
        cooked += "\n" + _code_block(rng, model)
    return cooked
