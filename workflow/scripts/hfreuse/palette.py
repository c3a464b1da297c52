"""The study's colours: one family of fixed colours per kind of thing a figure colours by (model
types, challenge categories, benefit categories, root-cause groups, forum categories, authors of
accepted answers), the same in every figure and on every run.

The rule: a colour means one kind. Two colours of different kinds differ by at least
:data:`MIN_KIND_DELTA_E` (CIE76 Delta E), so a challenge category never shares the hue of a model
type; within a kind no two names share a colour. The neutral greys (:data:`NEUTRAL`) belong to
no kind: they draw what is no named thing (other, unknown, a single measured series).

Names are looked up after normalising case and punctuation (:func:`name_key`: "Expert Opinion &
Clarification" is "expert opinion and clarification"); the few names the data spell in two ways
have both spellings (the package's "Expert Opinion and Clarification" is the Overview's "Expert
Opinion and Solutions", ``workflow/resources/paper/coding_mappings.yaml``). Any other name gets
a colour derived from a hash of its text (:func:`hashed`), stable across runs and figures.
Figures build their colour scale with :func:`scale`, never with a Vega scheme (a scheme colours
by position in the domain, so the same name would change colour with the set of names shown).
"""

from __future__ import annotations

import colorsys
import hashlib
from collections.abc import Iterable

import altair as alt

#: Model types of the study (the Hub's most frequent and the paper's): Tableau 20 colours (bart
#: not grey: the greys mean no named thing).
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
    "bart": "#843c39",
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

#: Challenge categories of the study's codebook.
CHALLENGES = {
    "Model Usage and Understanding": "#5254a3",
    "Training Pipeline": "#ff7f00",
    "Memory & Performance": "#cc3311",
    "External Platforms & Libraries": "#66a61e",
    "Tutorial & Documentation": "#6b6ecf",
    "Specific Solution Need": "#aa3377",
    "Dataset Acquisition & Usage": "#66c2a5",
    "Incomprehensible output": "#999933",
    "HF Libraries' Features": "#ee7733",
    "API Usage": "#ce6dbd",
    "Inference & Deployment": "#8da0cb",
    "Website & Pricing": "#ddcc77",
    "Spaces": "#fb8072",
    "Onboarding": "#a1d99b",
    "Privacy & Security": "#bebada",
    "Other Issues": "#de9ed6",
    "Lack of Support": "#ffd92f",
}

#: Benefit categories of the study's codebook (the package's codebook spells the first
#: "Expert Opinion and Clarification", its Overview sheet and the demo "... and Solutions").
BENEFITS = {
    "Expert Opinion and Solutions": "#1b9e77",
    "Expert Opinion and Clarification": "#1b9e77",
    "Collaboration to Solve Issues": "#fc8d62",
    "Acknowledgement of help": "#637939",
    "Call for collaboration": "#9c9ede",
    "Announcements": "#a6d854",
    "People from Other Domains": "#cedb9c",
}

#: The neutral greys: no kind; what is no named thing.
NEUTRAL = {"other": "#9d9d9d", "unknown": "#c7c7c7", "series": "#4d4d4d", "series_light": "#b3b3b3"}

#: Root-cause groups of accepted answers.
ROOT_CAUSE_GROUPS = {
    "HF-related": "#b15928",
    "User-related": "#393b79",
    "External platforms": "#882255",
    "Other": NEUTRAL["other"],
}

#: Categories of the HuggingFace forum (Discourse), the largest first; "🤗Transformers" and
#: "Transformers" are one name after :func:`name_key`.
FORUM_CATEGORIES = {
    "Beginners": "#7570b3",
    "Intermediate": "#e6550d",
    "Transformers": "#117733",
    "Models": "#aa4499",
    "Datasets": "#33bbee",
    "Spaces": "#8c6d31",
    "Diffusers": "#ad494a",
    "Gradio": "#e69f00",
    "Research": "#7b4173",
    "Amazon SageMaker": "#a6761d",
    "Hub": "#6a3d9a",
    "Tokenizers": "#8ca252",
    "Course": "#f781bf",
    "Accelerate": "#b5cf6b",
    "Inference Endpoints": "#e5c494",
    "AutoTrain": "#009988",
    # topics whose category /categories.json does not list (forum.stats.UNKNOWN_CATEGORY)
    "(unknown category)": NEUTRAL["unknown"],
}

#: Who wrote a forum answer (:data:`hfreuse.forum.stats.GROUPS` as the figures name them, plus
#: a missing post).
ANSWER_AUTHORS = dict(
    zip(
        ("staff", "the asker", "other users", "unknown (post missing)"),
        ("#e41a1c", "#f0027f", "#332288", NEUTRAL["unknown"]),
        strict=True,
    )
)

FAMILIES = {
    "model_type": MODEL_TYPES,
    "challenge": CHALLENGES,
    "benefit": BENEFITS,
    "root_cause_group": ROOT_CAUSE_GROUPS,
    "forum_category": FORUM_CATEGORIES,
    "answer_author": ANSWER_AUTHORS,
}
#: the least CIE76 Delta E between two colours of different kinds (the greys of
#: :data:`NEUTRAL` excepted): about five times a just-noticeable difference
MIN_KIND_DELTA_E = 12.0


def name_key(name: object) -> str:
    """``name`` with case and punctuation normalised: lower case, "&" read as "and", every
    other character but letters and digits a space, spaces collapsed."""
    text = str(name).casefold().replace("&", " and ")
    return " ".join("".join(c if c.isalnum() else " " for c in text).split())


#: each family's colours by :func:`name_key`
_KEYED = {f: {name_key(n): c for n, c in known.items()} for f, known in FAMILIES.items()}


def hashed(name: str) -> str:
    """A colour for a name without a committed one: hue from the SHA-256 of the name, medium
    saturation and lightness (readable on white); the same name always gets the same colour."""
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    hue = int.from_bytes(digest[:2], "big") / 65536
    lightness = 0.40 + (digest[2] / 255) * 0.15
    saturation = 0.45 + (digest[3] / 255) * 0.25
    r, g, b = colorsys.hls_to_rgb(hue, lightness, saturation)
    return "#{:02x}{:02x}{:02x}".format(*(round(c * 255) for c in (r, g, b)))


def known_color(name: str, family: str) -> str | None:
    """The committed colour of ``name`` in ``family`` (case and punctuation normalised), or
    None."""
    return _KEYED[family].get(name_key(name))


def color(name: str, family: str) -> str:
    """The colour of ``name`` (a thing of the kind ``family``): its committed colour, else a
    hashed one."""
    if family not in FAMILIES:
        raise ValueError(f"unknown colour family {family!r} (expected one of {sorted(FAMILIES)})")
    return known_color(name, family) or hashed(f"{family}:{name_key(name)}")


def colors(names: Iterable[str], family: str) -> list[str]:
    return [color(n, family) for n in names]


def scale(names: Iterable[str], family: str) -> alt.Scale:
    """A colour scale mapping each of ``names`` to its fixed colour."""
    names = [str(n) for n in names]
    return alt.Scale(domain=names, range=colors(names, family))
