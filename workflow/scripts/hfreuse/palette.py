"""The study's colours: one fixed colour per model type, per challenge or benefit category and per
root-cause group, the same in every figure and on every run.

Known names have a committed colour (:data:`MODEL_TYPES`, :data:`CATEGORIES`,
:data:`ROOT_CAUSE_GROUPS`); any other name gets a colour derived from a hash of its text
(:func:`hashed`), so it too is stable across runs and figures. Figures build their colour scale
with :func:`scale`, never with a Vega scheme (a scheme colours by position in the domain, so the
same name would change colour with the set of names shown).
"""

from __future__ import annotations

import colorsys
import hashlib
from collections.abc import Iterable

import altair as alt

#: Model types of the study (the Hub's most frequent and the paper's): Tableau 20 colours.
MODEL_TYPES = {
    "bert": "#4e79a7",
    "gpt2": "#f28e2b",
    "t5": "#e15759",
    "roberta": "#76b7b2",
    "llama": "#59a14f",
    "mistral": "#edc948",
    "distilbert": "#b07aa1",
    "whisper": "#ff9da7",
    "wav2vec2": "#9c755f",
    "bart": "#bab0ac",
    "xlm-roberta": "#a0cbe8",
    "vit": "#ffbe7d",
    "qwen2": "#8cd17d",
    "marian": "#b6992d",
    "deberta-v2": "#f1ce63",
    "clip": "#499894",
    "gpt_neox": "#86bcb6",
    "opt": "#d37295",
    "electra": "#fabfd2",
    "albert": "#d4a6c8",
    "mt5": "#79706e",
    "gemma": "#d7b5a6",
    "bloom": "#1f77b4",
    "falcon": "#2ca02c",
    "phi": "#9467bd",
    "gpt_neo": "#8c564b",
    "stable-diffusion": "#17becf",
    "pegasus": "#bcbd22",
}

#: Challenge and benefit categories of the study's codebook.
CATEGORIES = {
    # challenges
    "Model Usage and Understanding": "#4e79a7",
    "Training Pipeline": "#f28e2b",
    "Memory & Performance": "#e15759",
    "External Platforms & Libraries": "#76b7b2",
    "Tutorial & Documentation": "#59a14f",
    "Specific Solution Need": "#edc948",
    "Dataset Acquisition & Usage": "#b07aa1",
    "Incomprehensible output": "#ff9da7",
    "HF Libraries' Features": "#9c755f",
    "API Usage": "#bab0ac",
    "Inference & Deployment": "#a0cbe8",
    "Website & Pricing": "#ffbe7d",
    "Spaces": "#8cd17d",
    "Onboarding": "#b6992d",
    "Privacy & Security": "#f1ce63",
    "Other Issues": "#79706e",
    "Lack of Support": "#d37295",
    # benefits
    "Expert Opinion and Solutions": "#4e79a7",
    "Collaboration to Solve Issues": "#f28e2b",
    "Acknowledgement of help": "#59a14f",
    "Call for collaboration": "#e15759",
    "Announcements": "#76b7b2",
    "People from Other Domains": "#b07aa1",
}

#: Root-cause groups of accepted answers.
ROOT_CAUSE_GROUPS = {
    "HF-related": "#e15759",
    "User-related": "#4e79a7",
    "External platforms": "#f28e2b",
    "Other": "#9d9d9d",
}

#: Categories of the HuggingFace forum (Discourse), the largest first. A name that is also a
#: challenge category (Spaces) has that category's colour.
FORUM_CATEGORIES = {
    "Beginners": "#4e79a7",
    "Intermediate": "#f28e2b",
    "🤗Transformers": "#e15759",
    "Transformers": "#e15759",
    "Models": "#76b7b2",
    "Datasets": "#59a14f",
    "🤗Datasets": "#59a14f",
    "Spaces": "#8cd17d",  # as the challenge category Spaces: one name, one colour
    "Diffusers": "#b07aa1",
    "Gradio": "#ff9da7",
    "Research": "#9c755f",
    "Amazon SageMaker": "#bab0ac",
    "Hub": "#a0cbe8",
    "🤗Hub": "#a0cbe8",
    "Tokenizers": "#ffbe7d",
    "Course": "#edc948",
    "Accelerate": "#b6992d",
    "🤗Accelerate": "#b6992d",
    "Inference Endpoints": "#499894",
    "AutoTrain": "#d37295",
}

FAMILIES = {
    "model_type": MODEL_TYPES,
    "category": CATEGORIES,
    "root_cause_group": ROOT_CAUSE_GROUPS,
    "forum_category": FORUM_CATEGORIES,
}


def hashed(name: str) -> str:
    """A colour for a name without a committed one: hue from the SHA-256 of the name, medium
    saturation and lightness (readable on white); the same name always gets the same colour."""
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    hue = int.from_bytes(digest[:2], "big") / 65536
    lightness = 0.40 + (digest[2] / 255) * 0.15
    saturation = 0.45 + (digest[3] / 255) * 0.25
    r, g, b = colorsys.hls_to_rgb(hue, lightness, saturation)
    return "#{:02x}{:02x}{:02x}".format(*(round(c * 255) for c in (r, g, b)))


def color(name: str, family: str) -> str:
    """The colour of ``name`` (a model type, category or root-cause group)."""
    known = FAMILIES[family]
    name = str(name)
    return known.get(name) or hashed(f"{family}:{name}")


def colors(names: Iterable[str], family: str) -> list[str]:
    return [color(n, family) for n in names]


def scale(names: Iterable[str], family: str) -> alt.Scale:
    """A colour scale mapping each of ``names`` to its fixed colour."""
    names = [str(n) for n in names]
    return alt.Scale(domain=names, range=colors(names, family))
