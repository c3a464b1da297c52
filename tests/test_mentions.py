"""Model mention matching (RQ3): names, aliases, boundaries, ambiguous names, topics, months."""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys

import pandas as pd
import pytest
from conftest import ROOT, shared_path
from hfreuse.errors import InputError
from hfreuse.rq3.mentions import (
    MentionMatcher,
    NaiveMatcher,
    load_aliases,
    mentions_monthly,
    names_by_frequency,
    topic_mentions,
)
from hfreuse.shards import stable_shard

NAMES = [
    "bert",
    "gpt2",
    "distilbert",
    "roberta",
    "xlm-roberta",
    "xlm",
    "t5",
    "mt5",
    "wav2vec2",
    "llama",
    "gptj",
    "gpt_neox",
    "deberta-v2",
    "opt",
    "clip",
    "git",
    "sam",
    "led",
    "whisper",
    "align",
]
ALIASES = {
    "XLM-R": "xlm-roberta",
    "wav2vec 2.0": "wav2vec2",
    "GPT-J": "gptj",
    "distilgpt2": "gpt2",
    "DeBERTa-v3": "deberta-v2",
    "Segment Anything": "sam",
    "StarCoder": "gpt_bigcode",  # not a name of this run: ignored
}
AMBIGUOUS = ["opt", "clip", "git", "led", "sam", "align", "whisper"]
AFTER = ["model", "models", "checkpoint", "weights", "tokenizer", "encoder"]
BEFORE = ["pretrained", "fine-tuned", "fine-tune", "finetuned", "fine-tuning", "load"]


@pytest.fixture(scope="module")
def matcher():
    return MentionMatcher(NAMES, ALIASES, AMBIGUOUS, AFTER, BEFORE)


def found(matcher, *units):
    one_pass = matcher.topic_types(units)
    assert NaiveMatcher(matcher).topic_types(units) == one_pass  # both matchers agree
    return one_pass


@pytest.mark.parametrize(
    "text, expected",
    [
        ("I fine-tuned distilbert-base-uncased", {"distilbert"}),  # distilbert is not bert
        ("DistilBERT and BERT", {"distilbert", "bert"}),
        ("xlm-roberta-base on NER", {"xlm-roberta"}),  # not roberta, not xlm
        ("XLM-RoBERTa vs RoBERTa vs XLM", {"xlm-roberta", "roberta", "xlm"}),
        ("bertopic and SentenceBERT and bert2bert", set()),  # letters or digits glued on
        ("the optimizer options", set()),
        ("mT5 and t5-small and google/flan-t5-xl", {"mt5", "t5"}),
        ("BERT's tokenizer (bert)", {"bert"}),
        ("gpt-3.5-turbo and GPT-4", set()),
    ],
)
def test_word_boundaries(matcher, text, expected):
    assert found(matcher, text) == expected


@pytest.mark.parametrize(
    "text", ["GPT-2", "gpt2", "Gpt2", "gpt 2", "gpt_2", "gpt2-medium", "(GPT-2)", "distilgpt2"]
)
def test_spellings_of_gpt2(matcher, text):
    assert found(matcher, text) == {"gpt2"}


@pytest.mark.parametrize(
    "text, expected",
    [
        # aliases of model types
        ("XLM-R large", {"xlm-roberta"}),
        ("xlmr", {"xlm-roberta"}),
        ("wav2vec 2.0 and Wav2Vec2", {"wav2vec2"}),
        ("GPT-J 6B and gpt-j-6b and gptj", {"gptj"}),
        ("GPT-NeoX and gpt_neox and gpt neox", {"gpt_neox"}),
        ("deberta-v3-base", {"deberta-v2"}),
        ("DeBERTaV2 and deberta v2", {"deberta-v2"}),
        ("StarCoder", set()),  # alias of a model type that is not a name of the run
        ("Segment Anything", {"sam"}),  # the full name is not ambiguous
        # class names of the transformers library
        ("BertForSequenceClassification.from_pretrained(path)", {"bert"}),
        ("TFGPT2LMHeadModel", {"gpt2"}),
        ("FlaxT5ForConditionalGeneration", {"t5"}),
        ("XLMRobertaTokenizerFast", {"xlm-roberta"}),
        ("DistilBertModel", {"distilbert"}),
        ("Wav2Vec2CTCTokenizer", {"wav2vec2"}),
        ("tfbert", set()),  # a TF prefix only counts on a class name
    ],
)
def test_aliases_and_class_names(matcher, text, expected):
    assert found(matcher, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "I had to clip the gradients to 1.0.",
        "The audio clip is 30 s long.",
        "Which led to the same error.",
        "I would opt for a smaller batch. You can opt-out too.",
        "I ran git pull and git lfs install, then git-lfs push.",
        "error: cannot run /usr/bin/git: No such file",
        "Thanks Sam, that fixed it.",
        "Make sure you align the model outputs with the labels.",
        "push the model to the hub with git",
        "The speed-up was a whisper.",
    ],
)
def test_ambiguous_words_in_plain_use_are_not_counted(matcher, text):
    assert found(matcher, text) == set()


@pytest.mark.parametrize(
    "text, expected",
    [
        ("OPTForCausalLM", {"opt"}),  # class name
        ("facebook/opt-1.3b and opt-350m", {"opt"}),  # checkpoint with a size
        ("openai/clip-vit-base-patch32", {"clip"}),  # variant suffix
        ("see openai/whisper.", {"whisper"}),  # Hub path
        ("https://github.com/openai/whisper", {"whisper"}),
        ("the CLIP model", {"clip"}),  # context word after
        ("CLIP text encoder", {"clip"}),  # a modifier may stand between
        ("whisper large-v2 model", {"whisper"}),
        ("I fine-tuned Whisper on my data", {"whisper"}),  # context word before
        ("how do I load the SAM weights", {"sam"}),
        ("microsoft/git-base-coco", {"git"}),
        ("allenai/led-base-16384", {"led"}),
    ],
)
def test_ambiguous_names_with_corroborating_context(matcher, text, expected):
    assert found(matcher, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        # Discourse's shortened link text, then the link's address (issue 19)
        "see play.google.com/store/apps/deta… (https://play.google.com/store/apps/details?id=x)",
        "https://example.com/blog/bert-explained and www.t5.org/page",
        "(https://community.openai.com/t/introducing-chatgpt-and-whisper-apis/80485/38)",
        "https://huggingface.co/docs/transformers/model_doc/bert",  # docs, not a model
        "https://huggingface.co/datasets/someone/bert-data",
        "https://github.com/huggingface/transformers/blob/main/src/models/bert/x.py",
        "pip install git+https://github.com/huggingface/transformers",
        "error in /home/me/models/bert/config.json and ./t5/out and C:\\gpt2\\x",
        "edit modeling_bert.py and llama.cpp, then git-2.39.2-64-bit.exe",
        "from transformers.models.bert.modeling_bert import x",
        "    t5 = time.time()",
        "print('took', t6 - t5)",
    ],
)
def test_no_mention_inside_urls_paths_file_names_or_code(text):
    m = MentionMatcher(NAMES + ["deta", "gpt2"], ALIASES, AMBIGUOUS, AFTER, BEFORE)
    assert found(m, text) == set()


@pytest.mark.parametrize(
    "text, expected",
    [
        ("https://huggingface.co/facebook/opt-1.3b/blob/main/config.json", {"opt"}),
        ("https://huggingface.co/bert-base-uncased", {"bert"}),  # an older one-part id
        ("https://github.com/openai/whisper/discussions/1", {"whisper"}),
        ("BERT/RoBERTa and google/flan-t5-xl", {"bert", "roberta", "t5"}),
        ("model = T5ForConditionalGeneration.from_pretrained('t5-small')", {"t5"}),
        ('name = "bert"', {"bert"}),  # a name in quotes in code
        ("I tried Mistral7b and llama13b", {"mistral", "llama"}),  # a size glued on
        ("# then it uses t5 to summarise", {"t5"}),  # a code comment is prose
    ],
)
def test_names_in_repository_addresses_checkpoints_and_strings_still_count(text, expected):
    m = MentionMatcher(NAMES + ["mistral"], ALIASES, AMBIGUOUS, AFTER, BEFORE)
    assert found(m, text) == expected


def test_one_sense_per_topic_for_ambiguous_names(matcher):
    """An ambiguous name counts everywhere in a topic once the topic corroborates it."""
    text = matcher.prepare(["Whisper breaks on Lambda", "I use openai/whisper", "a whisper"])
    hits = matcher.matches(text)
    assert [h.model_type for h in hits] == ["whisper"] * 3
    assert len(matcher.accepted(text, hits)) == 3
    text = matcher.prepare(["Whisper breaks on Lambda", "no model here"])
    assert matcher.accepted(text, matcher.matches(text)) == []


def test_precision_and_recall_on_labelled_real_posts():
    """The hand-labelled real posts (tests/fixtures/mentions): both at least 0.95."""
    shared_path("forum", "openai-2023", "output.json")
    sys.path.insert(0, str(ROOT / "bench"))
    import mention_corpus

    q = mention_corpus.evaluate(mention_corpus.fixture_matcher())
    assert q.labelled >= 1500 and q.mentions >= 70 and not q.unlabelled
    assert q.precision >= 0.95, q.false_positive
    assert q.recall >= 0.95, q.false_negative


def test_context_does_not_cross_posts(matcher):
    # the title ends with the name and the post starts with a context word: not corroborated
    assert found(matcher, "Trouble with clip", "model outputs are wrong") == set()
    assert found(matcher, "Trouble with the clip model", "outputs are wrong") == {"clip"}


def test_once_per_topic_over_title_and_posts(matcher):
    topics = pd.DataFrame(
        {"topic_id": [1, 2, 3], "title": ["BERT question", "Hello", None]},
    )
    posts = pd.DataFrame(
        {
            "topic_id": [1, 1, 1, 2, 2, 3, 99],
            "post_number": [1, 2, 3, 1, 2, 1, 1],
            "text": [
                "bert-base-uncased gives NaN",
                "Use BERT with fp32. BERT!",
                "gpt2 works",
                "no model names here",
                "try roberta-base",  # a later post counts for the topic
                None,  # an empty post
                "bert in a topic that is not in the chunk",
            ],
        }
    )
    out = topic_mentions(topics, posts, matcher)
    assert out.to_dict("list") == {
        "topic_id": [1, 1, 2],
        "model_type": ["bert", "gpt2", "roberta"],
    }
    assert str(out["topic_id"].dtype) == "int64" and str(out["model_type"].dtype) == "string"
    with pytest.raises(InputError, match="posts table"):
        topic_mentions(topics, posts.drop(columns=["text"]), matcher)


def test_look_alike_model_types_go_to_the_first():
    m = MentionMatcher(["xlm-roberta", "xlm_roberta", "bert"])
    assert m.topic_types(["XLM RoBERTa"]) == {"xlm-roberta"}


def test_names_by_frequency():
    types = pd.Series(["t5", "bert", None, "gpt2", "bert", "t5", "bert"], dtype="string")
    assert names_by_frequency(types) == ["bert", "t5", "gpt2"]


def test_alias_spelled_like_another_type_is_an_error():
    with pytest.raises(InputError, match="spelled like model type"):
        MentionMatcher(["gpt2", "bert"], {"GPT-2": "bert"})


def test_alias_table_file(tmp_path):
    table = load_aliases(ROOT / "workflow" / "resources" / "model_aliases.csv")
    assert len(table) >= 20 and table["alias"].is_unique
    assert dict(zip(table["alias"], table["model_type"], strict=True))["XLM-R"] == "xlm-roberta"
    bad = tmp_path / "bad.csv"
    bad.write_text("alias,type\nXLM-R,xlm-roberta\n")
    with pytest.raises(InputError, match="expected columns alias, model_type"):
        load_aliases(bad)
    bad.write_text("# comment\nalias,model_type,note\nXLM-R,xlm-roberta,a\nXLM-R,xlm,b\n")
    with pytest.raises(InputError, match="listed twice"):
        load_aliases(bad)


def test_stable_shards_partition_the_topics():
    ids = list(range(1, 2001))
    shards = [stable_shard(i, 4) for i in ids]
    assert set(shards) == {0, 1, 2, 3}
    assert min(shards.count(k) for k in range(4)) > 400  # roughly balanced
    assert shards == [stable_shard(i, 4) for i in ids]  # deterministic, not the salted hash()
    assert stable_shard(12345, 1) == 0


def _topics(rows):
    df = pd.DataFrame(rows, columns=["topic_id", "created_at"])
    df["created_at"] = pd.to_datetime(df["created_at"], utc=True)
    return df


def test_monthly_table_full_grid_empty_months_and_partial_month():
    topics = _topics(
        [
            (1, "2021-01-05T10:00:00Z"),
            (2, "2021-01-31T23:59:59Z"),
            (3, "2021-03-01T00:00:00Z"),
            (4, "2021-04-10T00:00:00Z"),  # the snapshot's last month: partial
        ]
    )
    mentions = pd.DataFrame(
        {"topic_id": [1, 1, 2, 3, 3], "model_type": ["bert", "gpt2", "bert", "bert", "bert"]}
    )
    out = mentions_monthly(mentions, topics, ["gpt2", "bert", "t5"])
    assert list(out.columns) == ["model_type", "month", "topics", "partial_month"]
    assert len(out) == 3 * 4  # every type x every month 2021-01..2021-04
    got = {(r.model_type, r.month): r.topics for r in out.itertuples()}
    assert got[("bert", "2021-01")] == 2
    assert got[("bert", "2021-02")] == 0  # empty month: 0, not missing
    assert got[("bert", "2021-03")] == 1  # a topic counts once
    assert got[("gpt2", "2021-01")] == 1
    assert sum(v for (t, _), v in got.items() if t == "t5") == 0  # never mentioned: zeros
    assert out.loc[out["partial_month"], "month"].unique().tolist() == ["2021-04"]
    assert str(out["topics"].dtype) == "int64" and str(out["month"].dtype) == "string"


def test_monthly_table_window():
    topics = _topics([(1, "2021-01-05T10:00:00Z"), (2, "2021-04-10T00:00:00Z")])
    mentions = pd.DataFrame({"topic_id": [1, 2], "model_type": ["bert", "bert"]})
    out = mentions_monthly(mentions, topics, ["bert"], start_month="2020-12", end_month="2021-02")
    assert out["month"].tolist() == ["2020-12", "2021-01", "2021-02"]
    assert out["topics"].tolist() == [0, 1, 0]
    assert not out["partial_month"].any()  # the cut-off month is complete


def test_real_forum_posts():
    """163 real Discourse topics (community.openai.com): both matchers agree; GPT-3/4 are not
    gpt2, "Git commit messages" is not the GIT model, "whisper-1" is Whisper."""
    topics = json.loads(shared_path("forum", "openai-2023", "output.json").read_text())
    m = MentionMatcher(["gpt2", "whisper", "git", "clip", "bert"], {}, ["git", "whisper", "clip"])
    naive = NaiveMatcher(m)
    per_topic = {}
    for t in topics:
        units = [t["title"]] + [
            html.unescape(re.sub(r"<[^>]+>", " ", p["cooked"])) for p in t["post_comments"]
        ]
        per_topic[t["id"]] = m.topic_types(units)
        assert naive.topic_types(units) == per_topic[t["id"]], t["id"]
    counts = pd.Series([x for s in per_topic.values() for x in s]).value_counts().to_dict()
    assert counts.get("whisper", 0) >= 2
    assert "gpt2" not in counts and "git" not in counts


def test_benchmark_script_small_corpus():
    """The benchmark on a small corpus: identical counts, the one-pass matcher faster."""
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "bench_mentions.py"),
            "--mb",
            "0.3",
            "--names",
            "120",
            "--min-speedup",
            "3",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "identical counts : True" in proc.stdout


# -- Hub model addresses (issue 13) ------------------------------------------------------------

HUB_MODELS = {
    "sentence-transformers/all-MiniLM-L6-v2": "bert",
    "EleutherAI/pythia-160m": "gpt_neox",
    "bert-base-uncased": "bert",  # an older one-part id
    "openai/whisper-large-v2": "whisper",
    "bigcode/starcoder": "gpt_bigcode",  # a type that is not a name of this run: ignored
}


@pytest.fixture(scope="module")
def hub_matcher():
    return MentionMatcher(NAMES, ALIASES, AMBIGUOUS, AFTER, BEFORE, hub_models=HUB_MODELS)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("see https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2", {"bert"}),
        ("(huggingface.co/EleutherAI/pythia-160m/blob/main/config.json)", {"gpt_neox"}),
        ("https://hf.co/eleutherai/PYTHIA-160M.", {"gpt_neox"}),  # case, a full stop
        ("http://www.huggingface.co/bert-base-uncased/tree/main", {"bert"}),
        ("huggingface.co/openai/whisper-large-v2 was slow", {"whisper"}),  # no context needed
        ("https://huggingface.co/bigcode/starcoder", set()),  # type not in this run
        ("https://huggingface.co/someone/unknown-model", set()),  # not in the snapshot
        ("https://huggingface.co/datasets/sentence-transformers/all-MiniLM-L6-v2", set()),
        ("https://nothuggingface.co/EleutherAI/pythia-160m", set()),
        ("EleutherAI/pythia-160m without the Hub's address", set()),
    ],
)
def test_hub_model_addresses(hub_matcher, text, expected):
    assert found(hub_matcher, text) == expected


def test_a_post_whose_only_model_reference_is_a_link_counts_for_its_type(hub_matcher):
    """Through the real pipeline: cooked HTML -> parsed post text -> topic mentions. The model
    is named only in the address of a link (and of an older link preview)."""
    from hfreuse.forum import raw
    from hfreuse.forum.parse import Pseudonymizer, parse_record

    def record(tid, cooked):
        post = {"id": tid * 10, "post_number": 1, "username": "asker", "cooked": cooked}
        post["created_at"] = "2023-05-01T10:00:00Z"
        topic = {
            "id": tid,
            "title": "Embeddings are slow",
            "created_at": "2023-05-01T10:00:00Z",
            "post_stream": {"posts": [post], "stream": [post["id"]]},
        }
        return {"version": raw.RECORD_VERSION, "topic_id": tid, "status": 200, "topic": topic}

    cooked = {
        1: '<p>I use <a href="https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2">'
        "this checkpoint</a> and it is slow.</p>",
        2: '<aside class="onebox allowlistedgeneric"><header class="source"><a href='
        '"https://huggingface.co/EleutherAI/pythia-160m">huggingface.co</a></header>'
        '<article class="onebox-body"><h3>A model card</h3></article></aside>'
        "<p>Why does this one repeat itself?</p>",
        3: '<p>I use <a href="https://huggingface.co/datasets/squad">this data</a>.</p>',
    }
    topics, posts = [], []
    for tid, source in cooked.items():
        row, prows = parse_record(record(tid, source), {}, Pseudonymizer(b"k" * 24))
        topics.append(row)
        posts.extend(prows)
    topics, posts = pd.DataFrame(topics), pd.DataFrame(posts)
    # no model name in the words of the posts: only the addresses name the models
    words = posts["text"].str.replace(r"\S*huggingface\.co\S*", "", regex=True)
    assert not any(hub_matcher.topic_types([w]) for w in words)
    out = topic_mentions(topics, posts, hub_matcher)
    assert out.to_dict("list") == {"topic_id": [1, 2], "model_type": ["bert", "gpt_neox"]}
    # without the snapshot's models, the links name no model type
    assert topic_mentions(topics, posts, MentionMatcher(NAMES, ALIASES, AMBIGUOUS)).empty
