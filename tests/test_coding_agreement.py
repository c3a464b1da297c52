"""Agreement measures against values computed by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hfreuse.coding.agreement import (
    NONE_LABEL,
    agreement_table,
    cohen_kappa,
    krippendorff_alpha_nominal,
    percent_agreement,
    unit_values,
)


def test_cohen_kappa_two_by_two():
    # 50 units: both "yes" 20, A yes / B no 5, A no / B yes 10, both "no" 15.
    # p_o = 35/50 = 0.7; A says yes 25/50, B 30/50: p_e = 0.5*0.6 + 0.5*0.4 = 0.5
    # kappa = (0.7 - 0.5) / (1 - 0.5) = 0.4
    a = ["yes"] * 20 + ["yes"] * 5 + ["no"] * 10 + ["no"] * 15
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert percent_agreement(a, b) == pytest.approx(0.7)
    assert cohen_kappa(a, b) == pytest.approx(0.4)


def test_kappa_and_alpha_small_example():
    # units: (x,x) (x,y) (y,y) (y,y)
    # kappa: p_o = 3/4; A: x 2, y 2; B: x 1, y 3 -> p_e = (2*1 + 2*3)/16 = 1/2; kappa = 1/2
    # alpha: coincidences o_xx = 2, o_xy = o_yx = 1, o_yy = 4; n_x = 3, n_y = 5, n = 8
    #   alpha = 1 - (n - 1) * (o_xy + o_yx) / (2 n_x n_y) = 1 - 7 * 2 / 30 = 16/30
    a, b = list("xxyy"), list("xyyy")
    assert cohen_kappa(a, b) == pytest.approx(0.5)
    assert krippendorff_alpha_nominal(list(zip(a, b, strict=True))) == pytest.approx(16 / 30)


def test_krippendorff_alpha_reference_example_with_missing_values():
    # Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", nominal example:
    # 4 observers, 12 units, missing values; published alpha = 0.743.
    # By hand: unit 12 has one value (not pairable), the others give n = 40 pairable values.
    # Off-diagonal coincidences: unit 2 (2,2,3,2): 6 ordered (2,3)/(3,2) pairs x 1/3 = 2;
    # unit 6 (1,2,3,4): 12 pairs x 1/3 = 4; unit 8 (1,1,2,1): 6 pairs x 1/3 = 2; total 8.
    # Marginals n_1 = 9, n_2 = 13, n_3 = 10, n_4 = 5, n_5 = 3 (sum 40), so
    # sum_{c != k} n_c n_k = 40^2 - (81 + 169 + 100 + 25 + 9) = 1216 and
    # alpha = 1 - 39 * 8 / 1216 = 113/152 = 0.7434.
    n = None
    data = [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, n, n, n],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, n, 3],
        [n, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, n],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, n],
    ]
    units = list(zip(*data, strict=True))
    assert krippendorff_alpha_nominal(units) == pytest.approx(113 / 152)
    assert round(113 / 152, 3) == 0.743


def test_perfect_and_undefined_agreement():
    assert cohen_kappa(list("abca"), list("abca")) == pytest.approx(1.0)
    assert krippendorff_alpha_nominal([("a", "a"), ("b", "b")]) == pytest.approx(1.0)
    assert math.isnan(cohen_kappa(list("aaa"), list("aaa")))  # p_e = 1: chance explains all
    assert math.isnan(krippendorff_alpha_nominal([("a", "a"), ("a", "a")]))
    assert math.isnan(krippendorff_alpha_nominal([("a", None)]))
    assert math.isnan(percent_agreement([], []))
    with pytest.raises(ValueError):
        cohen_kappa(["a"], ["a", "b"])


def _codes(rows):
    df = pd.DataFrame(rows, columns=["coder", "topic_id", "kind", "category", "subcategory"])
    df["primary"] = True
    return df


@pytest.fixture
def coded():
    sample = pd.DataFrame(
        {
            "topic_id": [1, 2, 3, 4, 5],
            "coders": [["ann", "bob"]] * 4 + [["ann"]],
        }
    )
    codes = _codes(
        [
            ("ann", 1, "challenge", "A", "a1"),
            ("bob", 1, "challenge", "A", "a1"),
            ("ann", 2, "challenge", "A", "a1"),
            ("bob", 2, "challenge", "B", "b1"),
            ("ann", 3, "challenge", "B", "b1"),
            ("bob", 3, "challenge", "B", "b1"),
            ("ann", 4, "challenge", "B", "b2"),
            ("ann", 4, "benefit", "X", None),
            ("bob", 4, "challenge", "B", "b1"),
            ("ann", 5, "challenge", "C", None),  # single-coded: not a unit
        ]
    )
    return codes, sample


def test_unit_values_use_sets_and_none(coded):
    codes, sample = coded
    vals = unit_values(codes, sample, "benefit", "category")
    assert len(vals) == 8  # 4 double-coded topics x 2 coders
    assert vals.set_index(["topic_id", "coder"]).loc[(4, "ann"), "value"] == "X"
    assert (
        vals.drop(index=vals.index[(vals.topic_id == 4) & (vals.coder == "ann")])["value"]
        == NONE_LABEL
    ).all()
    multi = pd.concat([codes, _codes([("ann", 1, "challenge", "B", "b1")])])
    labels = unit_values(multi, sample, "challenge", "category").set_index(["topic_id", "coder"])
    assert labels.loc[(1, "ann"), "value"] == "A + B" and labels.loc[(1, "bob"), "value"] == "A"


def test_agreement_table_matches_hand_values(coded):
    codes, sample = coded
    table = agreement_table(codes, sample).set_index(["kind", "level", "measure", "pair"])
    v = table["value"]
    # challenge / category: ann A A B B, bob A B B B: as in the small example
    assert v["challenge", "category", "cohen_kappa", "ann & bob"] == pytest.approx(0.5)
    assert v["challenge", "category", "krippendorff_alpha", "all coders"] == pytest.approx(16 / 30)
    assert v["challenge", "category", "percent_agreement", "ann & bob"] == pytest.approx(0.75)
    # challenge / subcategory: ann A/a1 A/a1 B/b1 B/b2, bob A/a1 B/b1 B/b1 B/b1
    # p_o = 1/2; marginals ann a1 2, b1 1, b2 1; bob a1 1, b1 3: p_e = (2 + 3)/16 = 5/16
    # kappa = (1/2 - 5/16) / (11/16) = 3/11
    # alpha: n_a1 = 3, n_b1 = 4, n_b2 = 1, n = 8, off-diagonal o = 4, sum n_c n_k (c != k) = 38
    #   alpha = 1 - 7 * 4 / 38 = 10/38
    assert v["challenge", "subcategory", "cohen_kappa", "ann & bob"] == pytest.approx(3 / 11)
    assert v["challenge", "subcategory", "krippendorff_alpha", "all coders"] == pytest.approx(
        10 / 38
    )
    # benefit / category: ann none none none X, bob none x4: p_o = 3/4, p_e = 3/4 -> kappa 0;
    # alpha: n_none = 7, n_X = 1: 1 - 7 * 2 / 14 = 0
    assert v["benefit", "category", "cohen_kappa", "ann & bob"] == pytest.approx(0.0)
    assert v["benefit", "category", "krippendorff_alpha", "all coders"] == pytest.approx(0.0)
    assert (table["units"] == 4).all()
    assert set(table.reset_index()["measure"]) == {
        "cohen_kappa",
        "krippendorff_alpha",
        "percent_agreement",
    }


def test_agreement_with_three_coders():
    sample = pd.DataFrame({"topic_id": [1, 2, 3], "coders": [["a", "b"], ["a", "c"], ["b", "c"]]})
    codes = _codes(
        [
            ("a", 1, "challenge", "A", None),
            ("b", 1, "challenge", "A", None),
            ("a", 2, "challenge", "A", None),
            ("c", 2, "challenge", "B", None),
            ("b", 3, "challenge", "B", None),
            ("c", 3, "challenge", "B", None),
        ]
    )
    table = agreement_table(codes, sample, kinds=["challenge"], levels=["category"])
    pct = table[table["measure"] == "percent_agreement"].set_index("pair")
    assert pct.loc["a & b", "value"] == 1.0 and pct.loc["a & b", "units"] == 1
    assert pct.loc["a & c", "value"] == 0.0
    assert pct.loc["all coders", "value"] == pytest.approx(2 / 3)
    alpha = table[table["measure"] == "krippendorff_alpha"].iloc[0]
    # values (A,A) (A,B) (B,B): same coincidences as the small example: n_A = 3, n_B = 3, n = 6
    # alpha = 1 - 5 * 2 / (2 * 3 * 3) = 4/9
    assert alpha["coders"] == 3 and alpha["value"] == pytest.approx(4 / 9)
