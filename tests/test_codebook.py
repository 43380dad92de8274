"""The codebook loads, and an invalid codebook fails with a message naming the entry."""

from __future__ import annotations

import copy

import pytest
import yaml

from analysis.codebook import CodebookError, load_codebook, parse_codebook
from analysis.config import CODEBOOK_PATH


@pytest.fixture(scope="module")
def raw_yaml():
    return yaml.safe_load(CODEBOOK_PATH.read_text(encoding="utf-8"))


def test_real_codebook_loads():
    cb = load_codebook()
    assert cb.version_for(2020).name == "2020"
    assert cb.version_for(2021).name == "2020"
    assert cb.version_for(2024).name == "2022"
    q1 = cb["q1_skills"]
    assert q1.type == "multiple_choice" and len(q1.options) == 12
    assert "Flessibilità, capacità di adattamento" in q1.labels("it")
    assert cb["q2_relevance"].codes == [1, 2, 3, 4, 5]
    assert cb["q2_relevance"].dont_know_column == "q2_relevance_dk"
    assert [v.name for v in cb.profile] == ["role", "service", "sector", "company_size", "experience"]
    assert "q7_skill_relevance" not in cb.version_for(2021).variables
    assert len(cb["q7_skill_relevance"].columns) == 12
    assert cb.comparable_years("q7_skill_relevance", range(2020, 2025)) == [2022, 2023, 2024]


def test_unknown_year_names_the_versions():
    with pytest.raises(KeyError, match="1999"):
        load_codebook().version_for(1999)


def _variable(raw, name):
    return next(v for v in raw["variables"] if v["name"] == name)


def test_duplicate_variable(raw_yaml):
    raw = copy.deepcopy(raw_yaml)
    raw["variables"].append(copy.deepcopy(_variable(raw, "q3_soft_vs_hard")))
    with pytest.raises(CodebookError, match=r"'q3_soft_vs_hard'.*duplicate variable"):
        parse_codebook(raw)


def test_option_without_label(raw_yaml):
    raw = copy.deepcopy(raw_yaml)
    del _variable(raw, "q3_soft_vs_hard")["options"][2]["en"]
    with pytest.raises(CodebookError, match=r"'q3_soft_vs_hard'.*option 3 has no 'en' label"):
        parse_codebook(raw)


def test_option_with_empty_label_in_option_set(raw_yaml):
    raw = copy.deepcopy(raw_yaml)
    raw["option_sets"]["amount5"][1]["it"] = "  "
    with pytest.raises(CodebookError, match=r"'q2_relevance'.*option 2 has no 'it' label"):
        parse_codebook(raw)


def test_unknown_type(raw_yaml):
    raw = copy.deepcopy(raw_yaml)
    _variable(raw, "q4_policies")["type"] = "yes_no_maybe"
    with pytest.raises(CodebookError, match=r"'q4_policies'.*unknown type 'yes_no_maybe'"):
        parse_codebook(raw)


def test_overlapping_year_ranges(raw_yaml):
    raw = copy.deepcopy(raw_yaml)
    raw["versions"][0]["last_year"] = 2022
    with pytest.raises(CodebookError, match=r"version '2022'.*overlap version '2020'"):
        parse_codebook(raw)


def test_version_listing_unknown_variable(raw_yaml):
    raw = copy.deepcopy(raw_yaml)
    raw["versions"][1]["variables"].append("q99")
    with pytest.raises(CodebookError, match=r"version '2022'.*q99"):
        parse_codebook(raw)


def test_invalid_yaml_file(tmp_path):
    bad = tmp_path / "cb.yaml"
    bad.write_text("variables: [\n", encoding="utf-8")
    with pytest.raises(CodebookError, match="cb.yaml"):
        load_codebook(bad)
