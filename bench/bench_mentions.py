"""Benchmark: mention matching quality on labelled real posts, and speed (one pass vs a naive
loop of one regex per name).

Quality: precision and recall of the matcher (configured as the workflow configures it) on the
hand-labelled fixture ``tests/fixtures/mentions/labels.csv`` (every occurrence of a model type's
name or alias in the real forum posts of ``../shared/data/forum/``; rules in
``tests/fixtures/mentions/RULES.md``). Skipped when ``../shared/data`` is absent.

Speed:

Generates a seeded synthetic forum corpus (default 50 MB of text in topics of a title and a few
posts, 300 model names written in many spellings: "GPT-2", "xlm_roberta", class names such as
"TFBertForMaskedLM", Hub ids such as "facebook/opt-1.3b", ambiguous names used as plain words),
then counts topics per model type with ``hfreuse.rq3.mentions.MentionMatcher`` (all names in one
compiled pattern) and with ``NaiveMatcher`` (one regex per spelling, run one after the other),
checks that both give identical per-topic results and counts, and prints the speed-up.

    python3 bench/bench_mentions.py              # quality, then speed on 50 MB, 300 names
    python3 bench/bench_mentions.py --mb 5       # a quick run
    python3 bench/bench_mentions.py --quality-only

Exit status 1 if precision or recall is below --min-quality (default 0.95), the counts differ
or the speed-up is below --min-speedup (default 20).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow" / "scripts"))

from hfreuse.rq3.mentions import MentionMatcher, NaiveMatcher, skeleton  # noqa: E402

REAL_TYPES = (
    "bert gpt2 distilbert roberta t5 llama whisper wav2vec2 xlm-roberta bart clip opt xlm mt5 "
    "electra albert deberta deberta-v2 longformer pegasus mbart marian vit swin segformer blip "
    "bloom falcon mistral gpt_neo gpt_neox gptj camembert flaubert led git sam van align bit "
    "funnel canine luke realm reformer perceiver tapas layoutlm layoutlmv2 layoutlmv3 blenderbot "
    "big_bird xlnet ctrl transfo-xl convbert mobilebert squeezebert ibert mpnet "
    "speech_to_text unispeech hubert sew sew-d data2vec-audio beit deit detr yolos dpt "
    "convnext resnet regnet poolformer levit owlvit groupvit x-clip vilt lxmert visual_bert "
    "chinese_clip encoder-decoder rag dpr retribert m2m_100 nllb-moe umt5 byt5 longt5 switch_transformers"
).split()
AMBIGUOUS = [
    "opt",
    "clip",
    "git",
    "led",
    "sam",
    "van",
    "align",
    "whisper",
    "bit",
    "bloom",
    "falcon",
    "mistral",
    "funnel",
    "canine",
    "luke",
    "realm",
]
ALIASES = {
    "XLM-R": "xlm-roberta",
    "wav2vec 2.0": "wav2vec2",
    "gpt-j": "gptj",
    "distilgpt2": "gpt2",
    "flan-t5": "t5",
    "deberta-v3": "deberta-v2",
    "llama2": "llama",
}
CONTEXT_AFTER = [
    "model",
    "models",
    "checkpoint",
    "checkpoints",
    "weights",
    "tokenizer",
    "processor",
    "encoder",
    "decoder",
    "embeddings",
    "backbone",
    "architecture",
]
CONTEXT_BEFORE = [
    "pretrained",
    "pre-trained",
    "finetuned",
    "fine-tuned",
    "finetuning",
    "fine-tuning",
    "finetune",
    "fine-tune",
    "distilled",
    "quantized",
]
FILLER = (
    "the a to of and in is it for on with this that i you my model training loss error "
    "when using trying get set up data dataset tokenizer pipeline how can we run gpu cuda memory "
    "batch size learning rate epoch fine tune train eval accuracy output input token label hub "
    "push upload download file config json python import from return none true false please "
    "thanks hello help issue problem works fine same called installed option optimizer clipboard "
    "aligned gitignore ledger sample vantage bitwise bloomberg realms optimal eclipse legit led "
    "bits aligning"
).split()
SUFFIXES = ["-base", "-large", "-small", "-base-uncased", "-1.3b", "-v2", "-xl", "-finetuned-squad"]
CLASSES = [
    "Model",
    "ForSequenceClassification",
    "ForCausalLM",
    "Tokenizer",
    "TokenizerFast",
    "ForConditionalGeneration",
    "LMHeadModel",
]


def make_names(n: int, rng: random.Random) -> list[str]:
    names = list(dict.fromkeys(REAL_TYPES))
    seen = {skeleton(x) for x in names} | {skeleton(a) for a in ALIASES}
    syll = ["ka", "zo", "ri", "ment", "tor", "vex", "qu", "lin", "bra", "nox", "sel", "dri", "po"]
    while len(names) < n:
        base = "".join(rng.choice(syll) for _ in range(rng.randint(2, 3)))
        name = base + rng.choice(["", "", str(rng.randint(1, 9)), "-" + rng.choice(syll), "_v2"])
        if skeleton(name) not in seen and not any(skeleton(name) in w for w in FILLER):
            seen.add(skeleton(name))
            names.append(name)
    return names[:n]


def spell(name: str, rng: random.Random) -> str:
    """One way a forum post may write a model name."""
    k = rng.random()
    word = name
    if k < 0.25:
        word = name.upper()
    elif k < 0.4:
        word = name.replace("_", "-")
    elif k < 0.5:
        word = name.replace("-", " ").replace("_", " ")
    if rng.random() < 0.25:
        word += rng.choice(SUFFIXES)
    elif rng.random() < 0.15:
        word = ("TF" if rng.random() < 0.3 else "") + name.replace("-", "").replace("_", "").title()
        word += rng.choice(CLASSES)
    elif rng.random() < 0.1:
        word = rng.choice(["facebook", "google", "openai", "me"]) + "/" + word
    if rng.random() < 0.2:
        word += " " + rng.choice(["model", "checkpoint", "weights", "is", "and"])
    return word


def make_corpus(mb: float, names: list[str], seed: int) -> list[list[str]]:
    rng = random.Random(seed)
    target = int(mb * 1_000_000)
    weights = [1.0 / (i + 1) for i in range(len(names))]  # Zipf-like popularity
    aliases = list(ALIASES)
    topics, size = [], 0
    while size < target:
        units = []
        for u in range(rng.randint(2, 6)):
            n_words = rng.randint(6, 12) if u == 0 else rng.randint(30, 260)
            words = []
            for _ in range(n_words):
                r = rng.random()
                if r < 0.03:
                    words.append(spell(rng.choices(names, weights)[0], rng))
                elif r < 0.032:
                    words.append(rng.choice(aliases))
                elif r < 0.036:
                    words.append(rng.choice(AMBIGUOUS))  # the plain word
                else:
                    words.append(rng.choice(FILLER))
            units.append(" ".join(words) + rng.choice([".", "?", "!", ""]))
        topics.append(units)
        size += sum(len(x) for x in units)
    return topics


def count(matcher, topics) -> tuple[list[set[str]], float]:
    t0 = time.perf_counter()
    found = [matcher.topic_types(units) for units in topics]
    return found, time.perf_counter() - t0


def quality(min_quality: float) -> bool:
    """Print precision and recall on the labelled fixture; True when both reach the floor."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import mention_corpus as mc

    if not (mc.DATA / "forum").is_dir():
        print(f"quality          : skipped ({mc.DATA} is absent)")
        return True
    t0 = time.perf_counter()
    matcher = mc.fixture_matcher()
    q = mc.evaluate(matcher)
    n_units = len(mc.units())
    print(
        f"fixture          : {q.labelled} labelled occurrences ({q.mentions} mentions) of "
        f"{len(matcher.types)} model types in {n_units} real titles and posts"
    )
    print(
        f"occurrences      : precision {q.precision:.3f} ({q.true_positive}/{q.predicted}), "
        f"recall {q.recall:.3f} ({q.true_positive}/{q.mentions})"
    )
    print(
        f"topic x type     : precision {q.topic_precision:.3f} "
        f"({q.topics_both}/{q.topics_predicted}), recall {q.topic_recall:.3f} "
        f"({q.topics_both}/{q.topics_true})"
    )
    for name, rows in (
        ("false positive", q.false_positive),
        ("false negative", q.false_negative),
        ("unlabelled", q.unlabelled),
    ):
        for source, topic, post, start, end, mtype in rows:
            print(f"  {name}: {source} topic {topic} post {post} [{start}:{end}] {mtype}")
    print(f"quality checked in {time.perf_counter() - t0:.1f} s (required >= {min_quality:g})")
    return q.precision >= min_quality and q.recall >= min_quality


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mb", type=float, default=50.0, help="corpus size in MB of text")
    ap.add_argument("--names", type=int, default=300)
    ap.add_argument("--seed", type=int, default=20240117)
    ap.add_argument("--min-speedup", type=float, default=20.0)
    ap.add_argument("--min-quality", type=float, default=0.95)
    ap.add_argument("--quality-only", action="store_true", help="the labelled fixture only")
    ap.add_argument("--no-quality", action="store_true", help="the speed benchmark only")
    args = ap.parse_args(argv)
    good = args.no_quality or quality(args.min_quality)
    if args.quality_only:
        return 0 if good else 1

    rng = random.Random(args.seed)
    names = make_names(args.names, rng)
    t0 = time.perf_counter()
    topics = make_corpus(args.mb, names, args.seed)
    size = sum(len(x) for t in topics for x in t)
    print(
        f"corpus: {len(topics)} topics, {size / 1e6:.1f} MB, {len(names)} names "
        f"(+{len(ALIASES)} aliases), generated in {time.perf_counter() - t0:.1f} s"
    )

    matcher = MentionMatcher(names, ALIASES, AMBIGUOUS, CONTEXT_AFTER, CONTEXT_BEFORE)
    naive = NaiveMatcher(matcher)
    fast_sets, fast_s = count(matcher, topics)
    print(f"one-pass pattern : {fast_s:8.2f} s  ({size / 1e6 / fast_s:6.1f} MB/s)")
    slow_sets, slow_s = count(naive, topics)
    print(
        f"per-name regexes : {slow_s:8.2f} s  ({size / 1e6 / slow_s:6.1f} MB/s, "
        f"{len(naive.patterns)} patterns)"
    )

    fast_counts = Counter(t for s in fast_sets for t in s)
    slow_counts = Counter(t for s in slow_sets for t in s)
    same = fast_sets == slow_sets and fast_counts == slow_counts
    print(
        f"identical counts : {same} ({sum(fast_counts.values())} topic mentions, "
        f"{len(fast_counts)} model types)"
    )
    speedup = slow_s / fast_s
    print(f"speed-up         : {speedup:.1f}x (required >= {args.min_speedup:g}x)")
    return 0 if good and same and speedup >= args.min_speedup else 1


if __name__ == "__main__":
    sys.exit(main())
