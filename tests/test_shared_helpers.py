"""The core helpers shared by several stages: months, stable shards, crawl state files, Arrow
schemas, chart builders' settings."""

from __future__ import annotations

import hashlib
import inspect

import altair as alt
import pandas as pd
import pyarrow as pa
import pytest
from hfreuse.charts import SYNTHETIC_NOTE, ChartSettings, chart_builder
from hfreuse.crawl.state import load_state, utc_now
from hfreuse.errors import InputError
from hfreuse.io import arrow_schema, atomic_write_json
from hfreuse.months import month_of, month_range
from hfreuse.rq3.mentions import month_of as mention_month_of
from hfreuse.shards import stable_hash, stable_shard


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        ("2021-11", "2022-02", ["2021-11", "2021-12", "2022-01", "2022-02"]),
        ("2022-05", "2022-05", ["2022-05"]),  # one month
        ("2022-02", "2021-11", []),  # reversed: empty, not an error
        ("2019-12", "2020-01", ["2019-12", "2020-01"]),  # across a year
        ("2024-01", "2024-03", ["2024-01", "2024-02", "2024-03"]),  # leap February
    ],
)
def test_month_range(first, last, expected):
    assert month_range(first, last) == expected


def test_month_of_converts_to_utc_and_keeps_missing():
    ts = pd.Series(
        pd.to_datetime(["2022-01-31T23:30:00-02:00", "2022-03-01T00:00:00Z", None], utc=True)
    )
    out = month_of(ts)
    assert out.iloc[:2].tolist() == ["2022-02", "2022-03"]
    assert pd.isna(out.iloc[2])


def test_mention_month_of_reads_naive_and_text_as_utc():
    naive = mention_month_of(
        pd.Series(pd.to_datetime(["2023-12-31T23:59:59", "2024-01-01T00:00:00"]))
    )
    assert str(naive.dtype) == "string"
    assert naive.tolist() == ["2023-12", "2024-01"]
    text = mention_month_of(pd.Series(["2024-01-01T00:30:00+01:00", "2024-02-01T00:00:00Z"]))
    assert text.tolist() == ["2023-12", "2024-02"]


def _old_topic_shard(topic_id, n):  # the assignment the forum parse and the mentions used
    digest = hashlib.sha256(str(int(topic_id)).encode("ascii")).digest()
    return int.from_bytes(digest[:8], "big") % n


def _old_model_shard(model_id, n):  # the assignment the Hub card shards used
    return int.from_bytes(hashlib.sha256(model_id.encode("utf-8")).digest()[:8], "big") % n


def test_stable_shard_keeps_the_topic_assignment():
    import numpy as np

    ids = [1, 7, 42, 12345, 987654321, *range(100, 400, 7)]
    for n in (1, 2, 3, 4, 8):
        assert [stable_shard(i, n) for i in ids] == [_old_topic_shard(i, n) for i in ids]
        # the same whatever integer type a table hands over
        assert [stable_shard(np.int64(i), n) for i in ids] == [stable_shard(i, n) for i in ids]
    assert stable_shard(12345, 1) == 0


def test_stable_shard_keeps_the_model_assignment():
    ids = ["bert-base-uncased", "org/model-ü", "a", "meta-llama/Llama-2-7b-hf"]
    for n in (1, 3, 4):
        assert [stable_shard(m, n) for m in ids] == [_old_model_shard(m, n) for m in ids]
    assert stable_hash("42") == stable_hash(42)  # a topic id and its digits hash alike


def test_stable_shards_partition_and_spread():
    shards = [stable_shard(i, 4) for i in range(1, 2001)]
    counts = [shards.count(k) for k in range(4)]
    assert sum(counts) == 2000
    assert min(counts) > 400  # roughly even


def test_load_state(tmp_path):
    path = tmp_path / "state.json"
    assert load_state(path, 1, "settings", {"a": 1}) is None
    atomic_write_json(path, {"version": 1, "settings": {"a": 1, "b": None}, "pages": 3})
    assert load_state(path, 1, "settings", {"a": 1, "b": None})["pages"] == 3
    with pytest.raises(InputError, match=r"other settings \(a, c differ\)"):
        load_state(path, 1, "settings", {"a": 2, "b": None, "c": 0})
    with pytest.raises(InputError, match="expected a crawl state of version 2"):
        load_state(path, 2, "settings", {"a": 1, "b": None})
    with pytest.raises(InputError, match=r"other settings \(a differ\)"):
        load_state(path, 1, "query", {"a": 1, "b": None})  # no "query" entry at all


def test_utc_now_format():
    assert pd.Timestamp(utc_now()).tzinfo is not None
    assert len(utc_now()) == len("2025-06-18T00:00:00Z")


def test_arrow_schema_reads_name_type_pairs_in_order():
    schema = arrow_schema("id:int64 name:string\n when:timestamp tags:list<string> ok:bool")
    assert schema.equals(
        pa.schema(
            [
                ("id", pa.int64()),
                ("name", pa.string()),
                ("when", pa.timestamp("ms", tz="UTC")),
                ("tags", pa.list_(pa.string())),
                ("ok", pa.bool_()),
            ]
        )
    )


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("id", r"schema column 'id': expected name:type"),
        ("id:int8", r"schema column 'id:int8': expected name:type"),
        (":int64", r"schema column ':int64': expected name:type"),
        ("id:int64 id:string", r"schema column 'id:string': the name 'id' is repeated"),
    ],
)
def test_arrow_schema_names_a_bad_pair(spec, message):
    with pytest.raises(ValueError, match=message):
        arrow_schema(spec)


def test_chart_builder_takes_the_shared_settings_as_keywords():
    seen = {}

    @chart_builder(top_n=3)
    def build_demo(table, label="x", *, settings: ChartSettings):
        """Demo builder."""
        seen.update(table=table, label=label, settings=settings)
        return settings.sized(alt.Chart(pd.DataFrame({"a": [1]})).mark_point(), "T", ["note"])

    params = inspect.signature(build_demo).parameters
    assert list(params) == ["table", "label", "top_n", "width", "height", "synthetic"]
    assert params["top_n"].default == 3 and params["width"].default == 640
    assert build_demo.__doc__ == "Demo builder." and build_demo.__name__ == "build_demo"
    spec = build_demo("t", "y", width=10, synthetic=True).to_dict()
    assert seen == {"table": "t", "label": "y", "settings": ChartSettings(10, 320, True, 3)}
    assert (spec["width"], spec["height"]) == (10, 320)
    assert spec["title"]["subtitle"] == [SYNTHETIC_NOTE, "note"]
    with pytest.raises(TypeError):
        build_demo("t", colour="red")

    @chart_builder()
    def build_plain(table, *, settings: ChartSettings):
        return settings

    assert list(inspect.signature(build_plain).parameters) == [
        "table",
        "width",
        "height",
        "synthetic",
    ]
    assert build_plain("t", height=5) == ChartSettings(height=5)
    with pytest.raises(TypeError):
        build_plain("t", top_n=2)
