"""Display rules shared by the HTML and static renderers (kg.viz.model), and the docstring
examples of the kg.viz modules."""

from __future__ import annotations

import doctest
import importlib

import pytest

from kg.viz import model


@pytest.mark.parametrize("module", ["kg.viz", "kg.viz.model", "kg.viz.html", "kg.viz.static",
                                    "kg.viz.sample"])
def test_docstring_examples(module):
    result = doctest.testmod(importlib.import_module(module), verbose=False)
    assert result.failed == 0


@pytest.mark.parametrize("amount,currency,text", [
    (50_000_000, "CNY", "5000万 CNY"), (150_000_000, "CNY", "1.5亿 CNY"),
    (123_456_789, "CNY", "1.23亿 CNY"), (2e12, "CNY", "2万亿 CNY"), (9_999, None, "9999"),
    (10_000, "USD", "1万 USD"), (None, "CNY", ""), (float("nan"), "CNY", ""),
    (-3e8, "CNY", "-3亿 CNY"), ("5e7", "CNY", "5000万 CNY"),
])
def test_format_amount(amount, currency, text):
    assert model.format_amount(amount, currency) == text


@pytest.mark.parametrize("share,text", [
    (0.6, "60%"), (1.0, "100%"), (0.0005, "0.05%"), (0.12345, "12.35%"), (35, "35%"),
    (None, ""), (True, ""),
])
def test_format_share(share, text):
    assert model.format_share(share) == text


@pytest.mark.parametrize("programme,code", [
    ("little_giant", "LG"), ("Little Giant", "LG"), ("专精特新小巨人", "LG"),
    ("manufacturing_champion", "MC"), ("single champion", "MC"), ("专精特新中小企业", "SS"),
    ("specialized", "SS"), ("innovative", "IS"), ("创新型中小企业", "IS"),
    ("https://w3id.org/accelerator-kg/programme/little_giant", "LG"),
    ("high_new_tech_enterprise", "HNT"),
])
def test_badges(programme, code):
    assert model.badge_for(programme)[0] == code


def test_primary_type_prefers_specific_types():
    assert model.primary_type(["Firm", "Bank"]) == "Bank"
    assert model.primary_type(["Fund", "GuidanceFund"]) == "GuidanceFund"
    assert model.primary_type(["kg:GovernmentBody"]) == "GovernmentBody"
    assert model.primary_type([]) == model.primary_type(None) == "Other"


def test_dates_and_validity():
    assert model.norm_date("2020-02", end=True) == "2020-02-29"
    assert model.norm_date("not a date") is None
    assert model.is_valid_at("2019-01-01", "2021-12-31", "2021-12-31")
    assert not model.is_valid_at("2019-01-01", None, "2018-12-31")


def test_edge_labels():
    assert model.edge_label({"type": "OWNS", "share": 0.6, "amount": 1e6}) == "60%"
    assert model.edge_label({"type": "FUNDED", "amount": 5e7, "currency": "CNY",
                             "share": 0.1}) == "5000万 CNY · 10%"
    assert model.edge_label({"type": "LISTED_ON", "props": {"ticker": "688017.SH"}}) == "688017.SH"


def test_badges_from_certified_as_links():
    node = {"id": "f"}
    prog = {"id": "p", "label": "Little Giant", "props": {}}
    edges = [{"type": "CERTIFIED_AS", "source": "f", "target": "p", "start": "2020-07-01",
              "end": None, "props": {"batch": 2}}]
    badges = model.node_badges(node, edges, {"p": prog})
    assert [(b["code"], b["from"], b["to"], b["batch"], b["year"]) for b in badges] == [
        ("LG", "2020-07-01", None, 2, "2020")]
