"""Tests of analysis.simulate: format, determinism, bundled files, recovery of the truth."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy.special import expit

from analysis.codebook import load_codebook
from analysis.config import RAW_DIR
from analysis.simulate import (
    BUNDLED_SIZES,
    DEFAULT_PARAMS,
    EMAIL_HEADER,
    TIMESTAMP_HEADER,
    SimulationError,
    bundled_seed,
    simulate_export,
    simulate_year,
    write_bundled,
)

CB = load_codebook()
PROFILE = ["role", "service", "sector", "company_size", "experience"]
QUESTIONS_2020 = [
    "q1_skills",
    "q2_relevance",
    "q3_soft_vs_hard",
    "q4_policies",
    "q5_assessment",
    "q6_valued",
]
TS_RE = re.compile(r"^\d{2}/\d{2}/\d{4} \d{1,2}\.\d{2}\.\d{2}$")


def expected_headers(year: int) -> list[str]:
    """Headers of a Google Forms export, written out from the codebook texts by hand."""
    heads = [TIMESTAMP_HEADER, EMAIL_HEADER]
    heads += [CB[v].text_it for v in PROFILE + QUESTIONS_2020]
    if year >= 2022:
        q7 = CB["q7_skill_relevance"]
        heads += [f"{q7.text_it} [{item.it}]" for item in q7.items]
    return heads


def label_to_code(name: str) -> dict[str, str]:
    return {lbl: str(code) for code, lbl in CB[name].label_map("it").items()}


def parse_ts(s: str) -> dt.datetime:
    return dt.datetime.strptime(s, "%d/%m/%Y %H.%M.%S")


def answers_only(raw: pd.DataFrame) -> pd.DataFrame:
    return raw.drop(columns=[TIMESTAMP_HEADER, EMAIL_HEADER])


def genuine(raw: pd.DataFrame, truth: dict) -> pd.DataFrame:
    """Drop the test row and the duplicate (spreadsheet rows from the truth file)."""
    drop = [truth["rows"]["test"]["row"] - 2, truth["rows"]["duplicate"]["row"] - 2]
    return raw.drop(index=drop).reset_index(drop=True)


# ------------------------------------------------------------------------------------
# format


@pytest.mark.parametrize("year", [2020, 2021, 2022, 2024])
def test_headers_follow_the_codebook(year):
    raw, truth = simulate_year(year, 40, seed=11)
    assert list(raw.columns) == expected_headers(year)
    assert truth["questionnaire_version"] == ("2020" if year < 2022 else "2022")
    assert len(raw) == 42 and truth["rows"]["data_rows"] == 42


def test_cells_use_codebook_labels_and_formats():
    raw, _ = simulate_year(2023, 400, seed=3)
    for name in PROFILE + ["q2_relevance", "q3_soft_vs_hard", "q4_policies", "q6_valued"]:
        allowed = set(label_to_code(name))
        col = raw[CB[name].text_it].dropna()
        assert set(col) <= allowed, name
    # profile questions are required: never blank
    assert raw[[CB[v].text_it for v in PROFILE]].notna().all().all()
    # multiple choice: labels in codebook order, joined with ", " (a label holds a comma)
    labels = [o.it for o in CB["q1_skills"].options]
    pattern = re.compile("^" + "".join(f"(?:{re.escape(lbl)}(?:, |$))?" for lbl in labels) + "$")
    q1 = raw[CB["q1_skills"].text_it].dropna()
    assert all(pattern.match(c) and c for c in q1)
    assert q1.str.contains("Flessibilità, capacità di adattamento", regex=False).any()
    # battery cells are "1".."5"
    q7 = raw[[c for c in raw.columns if c.endswith("]")]]
    assert set(q7.stack().dropna()) <= {"1", "2", "3", "4", "5"}
    # timestamps: dd/mm/yyyy H.MM.SS inside the survey year, in submission order
    ts = raw[TIMESTAMP_HEADER]
    assert ts.map(lambda s: bool(TS_RE.match(s))).all()
    when = ts.map(parse_ts)
    assert (when.map(lambda t: t.year) == 2023).all()
    assert when.is_monotonic_increasing
    assert raw[EMAIL_HEADER].str.fullmatch(r"[a-z]+\.[a-z]+\d*@example\.it|test@example\.it").all()


def test_q5_other_is_free_text_in_the_same_cell():
    raw, truth = simulate_year(2020, 2000, seed=5)
    col = genuine(raw, truth)[CB["q5_assessment"].text_it].dropna()
    labels = set(CB["q5_assessment"].labels("it"))
    other = col[~col.isin(labels)]
    assert len(other) > 0
    assert set(other) <= set(DEFAULT_PARAMS["q5_assessment"]["other_texts"])
    # no real answer looks like a test submission
    markers = CB.metadata["test_markers"]
    for text in set(other) | set(raw[EMAIL_HEADER].drop(index=truth["rows"]["test"]["row"] - 2)):
        assert not any(m in text.lower() for m in markers), text


def test_exactly_one_duplicate_and_one_test_row():
    raw, truth = simulate_year(2021, 190, seed=bundled_seed(2021))
    rows = truth["rows"]
    # test row: the only row with a test marker, where the truth says
    is_test = (raw[EMAIL_HEADER] == "test@example.it") | (
        raw[CB["q5_assessment"].text_it].fillna("").str.lower().isin(["test", "prova"])
    )
    assert is_test.sum() == 1
    assert int(np.flatnonzero(is_test)[0]) + 2 == rows["test"]["row"]
    assert raw.loc[rows["test"]["row"] - 2, EMAIL_HEADER] == rows["test"]["email"]
    # duplicate: the only pair of rows with identical answers (and email), minutes apart
    key = raw.drop(columns=[TIMESTAMP_HEADER]).fillna("<blank>").astype(str).agg("|".join, axis=1)
    dup = key.duplicated(keep=False)
    assert dup.sum() == 2
    first, second = (int(i) + 2 for i in np.flatnonzero(dup))
    assert (first, second) == (rows["duplicate"]["duplicate_of_row"], rows["duplicate"]["row"])
    gap = parse_ts(raw.loc[second - 2, TIMESTAMP_HEADER]) - parse_ts(
        raw.loc[first - 2, TIMESTAMP_HEADER]
    )
    assert dt.timedelta(minutes=2) <= gap <= dt.timedelta(minutes=10)
    # no two genuine respondents share an email
    assert not genuine(raw, truth)[EMAIL_HEADER].duplicated().any()


# ------------------------------------------------------------------------------------
# determinism and the bundled files


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "sav"])
def test_same_seed_same_bytes(tmp_path, fmt):
    a = simulate_export(2022, 60, seed=42, out=tmp_path / f"a.{fmt}", fmt=fmt)
    b = simulate_export(2022, 60, seed=42, out=tmp_path / f"b.{fmt}", fmt=fmt)
    c = simulate_export(2022, 60, seed=43, out=tmp_path / f"c.{fmt}", fmt=fmt)
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()
    ta, tb, tc = (tmp_path / f"{s}.truth.yaml" for s in "abc")
    assert ta.read_bytes() == tb.read_bytes() != tc.read_bytes()


def test_csv_is_utf8_with_newline_endings(tmp_path):
    path = simulate_export(2020, 30, seed=1, out=tmp_path / "2020.csv")
    data = path.read_bytes()
    assert b"\r\n" not in data and data.endswith(b"\n")
    text = data.decode("utf-8")
    assert text.startswith(TIMESTAMP_HEADER + ",")
    back = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert list(back.columns) == expected_headers(2020)
    assert len(back) == 32


def test_bundled_years_are_what_the_generator_writes(tmp_path):
    assert set(BUNDLED_SIZES) == {2020, 2021, 2022, 2023, 2024}
    assert BUNDLED_SIZES[2020] == 163
    assert all(150 <= n <= 260 for n in BUNDLED_SIZES.values())
    assert [bundled_seed(y) for y in (2020, 2024)] == [20200312, 20240312]
    write_bundled(tmp_path)
    for year, n in BUNDLED_SIZES.items():
        for name in (f"{year}.csv", f"{year}.truth.yaml"):
            assert (tmp_path / name).read_bytes() == (RAW_DIR / name).read_bytes(), name
        truth = yaml.safe_load((RAW_DIR / f"{year}.truth.yaml").read_text(encoding="utf-8"))
        assert truth["synthetic"] is True and truth["n"] == n
        assert truth["seed"] == bundled_seed(year)


def test_truth_file_conventions(tmp_path):
    simulate_export(2024, 30, seed=2, out=tmp_path / "2024.csv")
    text = (tmp_path / "2024.truth.yaml").read_text(encoding="utf-8")
    assert text.startswith("# SYNTHETIC")
    truth = yaml.safe_load(text)
    q6 = truth["models"]["q6_valued"]
    assert q6["convention"] == "logit P(Y <= j) = theta_j - x'beta"
    assert set(q6["coefficients"]) == {
        "role[T.team_leader]",
        "role[T.manager]",
        "role[T.director]",
        "service[T.outsourcing]",
        "experience[T.2_5]",
        "experience[T.6_10]",
        "experience[T.gt10]",
    }
    # outsourced services value soft skills less in q6 than their latent relevance alone says
    assert q6["coefficients"]["service[T.outsourcing]"] == pytest.approx(-0.9)
    assert truth["models"]["q2_relevance"]["coefficients"]["service[T.outsourcing]"] == -0.3
    # year trend folded into the thresholds: 4 years * 0.15 below 2020's
    ref = q6["thresholds_reference_year"]
    assert list(q6["thresholds"]) == ["1/2", "2/3", "3/4", "4/5"]
    for k, v in q6["thresholds"].items():
        assert v == pytest.approx(ref[k] - 0.6)


# ------------------------------------------------------------------------------------
# recovery of the truth


def model_probs(profile: pd.DataFrame, coefs: dict[str, float], thresholds: dict) -> np.ndarray:
    """P(Y = j | x) of logit P(Y <= j) = theta_j - x'beta, written independently of the module."""
    xb = np.zeros(len(profile))
    for term, b in coefs.items():
        var, level = term.split("[T.")
        xb += b * (profile[var].to_numpy() == level.rstrip("]"))
    theta = np.array(list(thresholds.values()))
    cdf = expit(theta[None, :] - xb[:, None])
    cdf = np.column_stack([np.zeros(len(xb)), cdf, np.ones(len(xb))])
    return np.diff(cdf, axis=1)


@pytest.fixture(scope="module")
def big():
    raw, truth = simulate_year(2023, 20_000, seed=2023)
    data = genuine(raw, truth)
    prof = pd.DataFrame({v: data[CB[v].text_it].map(label_to_code(v)) for v in PROFILE})
    return data, prof, truth


@pytest.mark.parametrize("name", ["q2_relevance", "q3_soft_vs_hard", "q6_valued"])
def test_ordinal_shares_match_the_model(big, name):
    data, prof, truth = big
    model = truth["models"][name]
    codes = [str(c) for c in CB[name].codes]
    cells = data[CB[name].text_it].map(label_to_code(name))
    answered = cells.isin(codes).to_numpy()
    expected = model_probs(prof[answered], model["coefficients"], model["thresholds"]).mean(axis=0)
    observed = cells[answered].value_counts(normalize=True).reindex(codes, fill_value=0.0)
    se = np.sqrt(expected * (1 - expected) / answered.sum())
    z = (observed.to_numpy() - expected) / se
    assert np.all(np.abs(z) < 4), dict(zip(codes, z.round(2), strict=True))
    # the subgroup means carry the signs: outsourcing lowers the scale, q6 more than q2
    code_num = cells[answered].astype(int)
    out = prof.loc[answered, "service"].to_numpy() == "outsourcing"
    assert code_num[out].mean() < code_num[~out].mean()


def test_dont_know_and_nonresponse_rates(big):
    data, _, truth = big
    n = len(data)
    for name in ("q2_relevance", "q6_valued"):
        col = data[CB[name].text_it]
        nr = truth["models"][name]["nonresponse_rate"]
        dk = truth["models"][name]["dont_know_rate"] * (1 - nr)
        for observed, p in ((col.isna().mean(), nr), ((col == "Non so").mean(), dk)):
            assert abs(observed - p) < 4 * np.sqrt(p * (1 - p) / n)
    q4 = data[CB["q4_policies"].text_it]
    p_dk = DEFAULT_PARAMS["q4_policies"]["dont_know"] * (
        1 - DEFAULT_PARAMS["nonresponse"]["q4_policies"]
    )
    assert abs((q4 == "Non so").mean() - p_dk) < 4 * np.sqrt(p_dk * (1 - p_dk) / n)


def test_q5_and_profile_shares(big):
    data, prof, _ = big
    n = len(data)
    probs = DEFAULT_PARAMS["q5_assessment"]["probabilities"]
    col = data[CB["q5_assessment"].text_it].dropna()
    lab = label_to_code("q5_assessment")
    coded = col.map(lambda c: lab.get(c, "other"))
    for code, p in probs.items():
        share = (coded == code).mean()
        assert abs(share - p) < 4 * np.sqrt(p * (1 - p) / len(coded)), code
    for code, p in DEFAULT_PARAMS["profile"]["role"].items():
        share = (prof["role"] == code).mean()
        assert abs(share - p) < 4 * np.sqrt(p * (1 - p) / n), code
    # directors are more often senior than operators
    senior = prof["experience"] == "gt10"
    assert senior[prof["role"] == "director"].mean() > senior[prof["role"] == "operator"].mean()


def test_ordinal_model_recovers_coefficients(big):
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    data, prof, truth = big
    name = "q6_valued"
    cells = data[CB[name].text_it].map(label_to_code(name))
    ok = cells.isin(["1", "2", "3", "4", "5"]).to_numpy()
    y = pd.Categorical(cells[ok].astype(int), categories=[1, 2, 3, 4, 5], ordered=True)
    x = pd.DataFrame(index=prof.index[ok])
    for term in truth["models"][name]["coefficients"]:
        var, level = term.split("[T.")
        x[term] = (prof.loc[ok, var] == level.rstrip("]")).astype(float)
    res = OrderedModel(y, x, distr="logit").fit(method="bfgs", disp=False, maxiter=500)
    for term, b in truth["models"][name]["coefficients"].items():
        assert abs(res.params[term] - b) < 4 * res.bse[term], term
    cuts = res.model.transform_threshold_params(res.params)[1:-1]
    assert np.allclose(cuts, list(truth["models"][name]["thresholds"].values()), atol=0.15)


def test_more_relevance_more_picks_and_higher_battery():
    raw, truth = simulate_year(2024, 6000, seed=9)
    data = genuine(raw, truth)
    q1 = data[CB["q1_skills"].text_it].dropna()
    labels = [o.it for o in CB["q1_skills"].options]
    npicks = q1.map(lambda c: sum(lbl in c for lbl in labels))
    q2 = data.loc[q1.index, CB["q2_relevance"].text_it]
    assert npicks[q2 == "Moltissimo"].mean() > npicks[q2 == "Abbastanza"].mean() + 0.3
    # popular skills are picked more often
    share = {lbl: q1.str.contains(lbl, regex=False).mean() for lbl in labels}
    assert share["Comunicazione efficace"] > share["Pazienza"] > share["Negoziazione"]
    q7 = data[f"{CB['q7_skill_relevance'].text_it} [Comunicazione efficace]"].dropna().astype(int)
    assert (
        q7[q2.reindex(q7.index) == "Moltissimo"].mean() > q7[q2.reindex(q7.index) == "Poco"].mean()
    )


# ------------------------------------------------------------------------------------
# other formats


def test_xlsx_is_microsoft_forms_style(tmp_path):
    path = simulate_export(2022, 50, seed=4, out=tmp_path / "2022.xlsx", fmt="xlsx")
    x = pd.read_excel(path, dtype=object)
    raw, _ = simulate_year(2022, 50, seed=4)
    assert list(x.columns[:5]) == ["ID", "Start time", "Completion time", "Email", "Name"]
    assert list(x.columns[5:]) == expected_headers(2022)[2:]
    assert list(x["Email"]) == list(raw[EMAIL_HEADER])
    assert (x["Start time"] < x["Completion time"]).all()
    q1 = CB["q1_skills"].text_it
    for ms, gf in zip(x[q1], raw[q1], strict=True):
        if isinstance(gf, str):
            assert ms.endswith(";")
            assert ms.rstrip(";").split(";") == [
                lbl for lbl in CB["q1_skills"].labels("it") if lbl in gf
            ]


def test_sav_has_value_labels_and_user_missing(tmp_path):
    import pyreadstat

    path = simulate_export(2022, 300, seed=4, out=tmp_path / "2022.sav", fmt="sav")
    df, meta = pyreadstat.read_sav(str(path), user_missing=True)
    raw, _ = simulate_year(2022, 300, seed=4)
    assert meta.variable_value_labels["q2_relevance"][9.0] == "Non so"
    assert meta.variable_value_labels["role"] == {
        1.0: "Operatore",
        2.0: "Team leader / Supervisor",
        3.0: "Manager",
        4.0: "Direttore / Responsabile di funzione",
    }
    assert meta.missing_ranges["q6_valued"] == [{"lo": 9.0, "hi": 9.0}]
    n_dk = (raw[CB["q6_valued"].text_it] == "Non so").sum()
    assert n_dk > 0 and (df["q6_valued"] == 9).sum() == n_dk
    empathy = raw[CB["q1_skills"].text_it].str.contains("Empatia", regex=False)
    assert (df["q1_skills__empathy"] == 1).sum() == empathy.sum()
    assert "q7_skill_relevance__negotiation" in df.columns


# ------------------------------------------------------------------------------------
# bad arguments


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"year": 1999, "n": 10, "seed": 1}, "1999"),
        ({"year": 2020, "n": 0, "seed": 1}, "n must be"),
        ({"year": 2020, "n": 10, "seed": -1}, "seed"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(SimulationError, match=message):
        simulate_year(**kwargs)


def test_bad_format_and_params(tmp_path):
    with pytest.raises(SimulationError, match="format"):
        simulate_export(2020, 10, 1, out=tmp_path / "x.pdf", fmt="pdf")
    with pytest.raises(SimulationError, match="thresholds"):
        simulate_year(
            2020, 10, 1, params={"ordinal": {"q2_relevance": {"thresholds": [1, 0, 2, 3]}}}
        )
    with pytest.raises(SimulationError, match="sum to 1"):
        simulate_year(
            2020, 10, 1, params={"profile": {"service": {"in_house": 0.5, "outsourcing": 0.6}}}
        )


def test_never_overwrites_a_real_export(tmp_path):
    real = tmp_path / "2020.csv"
    real.write_bytes(b"real answers")
    with pytest.raises(SimulationError, match="refusing to overwrite"):
        simulate_export(2020, 10, 1, out=real)
    assert real.read_bytes() == b"real answers"
    assert not (tmp_path / "2020.truth.yaml").exists()
    # a synthetic file (its truth beside it) may be regenerated
    synthetic = simulate_export(2020, 10, 1, out=tmp_path / "s.csv")
    first = synthetic.read_bytes()
    simulate_export(2020, 10, 2, out=synthetic)
    assert synthetic.read_bytes() != first


def test_params_override_changes_the_truth():
    _, truth = simulate_year(2020, 10, 1, params={"latent": {"trend_per_year": 0.3}})
    assert truth["trend"]["per_year"] == 0.3
    assert truth["params"]["latent"]["coefficients"]["role[T.director]"] == 0.8


# ------------------------------------------------------------------------------------
# prepared data: analysis.prepare recovers what the generator wrote


@pytest.mark.parametrize("year", sorted(BUNDLED_SIZES))
def test_prepare_bundled_year_removes_exactly_the_test_and_duplicate(year):
    from analysis.prepare import prepare

    truth = yaml.safe_load((RAW_DIR / f"{year}.truth.yaml").read_text(encoding="utf-8"))
    prepared = prepare(None, year)
    counts = prepared.summary[prepared.summary["variable"].isna()].set_index("measure")["n"]
    assert counts["rows_read"] == truth["rows"]["data_rows"]
    assert counts["test_removed"] == 1 and counts["duplicates_removed"] == 1
    assert counts["rows_kept"] == truth["n"] == len(prepared.data)
    kept = set(prepared.data["source_row"].astype(int))
    assert truth["rows"]["test"]["row"] not in kept
    assert truth["rows"]["duplicate"]["row"] not in kept
    assert truth["rows"]["duplicate"]["duplicate_of_row"] in kept


def _raw_counts(data: pd.DataFrame, name: str) -> pd.Series:
    var = CB[name]
    lab = {lbl: str(code) for code, lbl in var.label_map("it").items()}
    return data[var.text_it].dropna().map(lambda c: lab.get(c, "other")).value_counts()


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "sav"])
def test_prepared_shares_equal_the_raw_shares(tmp_path, fmt):
    from analysis.prepare import prepare

    n = 1500 if fmt != "xlsx" else 400
    path = simulate_export(2022, n, seed=77, out=tmp_path / f"2022.{fmt}", fmt=fmt)
    raw, truth = simulate_year(2022, n, seed=77)
    data = genuine(raw, truth)
    prep = prepare(path, 2022).data
    assert len(prep) == n
    dk_code = str(CB["q2_relevance"].dont_know[0].code)
    for name in PROFILE + [
        "q2_relevance",
        "q3_soft_vs_hard",
        "q4_policies",
        "q5_assessment",
        "q6_valued",
    ]:
        expected = _raw_counts(data, name)
        got = prep[name].astype("object").dropna().map(str).value_counts()
        if CB[name].has_dont_know:
            got[dk_code] = int(prep[f"{name}_dk"].sum())
        pd.testing.assert_series_equal(
            got.sort_index(), expected.sort_index(), check_names=False, check_dtype=False
        )
    q1 = data[CB["q1_skills"].text_it]
    for opt in CB["q1_skills"].options:
        col = prep[f"q1_skills__{opt.code}"]
        assert int(col.sum()) == int(q1.str.contains(opt.it, regex=False).sum()), opt.code
        assert int(col.isna().sum()) == int(q1.isna().sum())
    q7 = CB["q7_skill_relevance"]
    for item in q7.items:
        got = prep[q7.column_for(item.code)].astype("object").dropna().map(str).value_counts()
        exp = data[f"{q7.text_it} [{item.it}]"].dropna().value_counts()
        assert got.sort_index().to_dict() == exp.sort_index().to_dict(), item.code
    # personal data never reaches the prepared table
    text = [str(v) for v in prep.to_numpy().ravel()]
    assert not any("@" in t for t in text)
    others = set(DEFAULT_PARAMS["q5_assessment"]["other_texts"]) | {"prova"}
    assert not others & set(text)


def test_prepared_data_recover_the_model_marginals(tmp_path):
    from analysis.prepare import prepare

    path = simulate_export(2024, 20_000, seed=2024, out=tmp_path / "2024.csv")
    truth = yaml.safe_load((tmp_path / "2024.truth.yaml").read_text(encoding="utf-8"))
    prep = prepare(path, 2024).data
    prof = prep[PROFILE].astype("object").astype(str)
    for name in ("q2_relevance", "q6_valued"):
        model = truth["models"][name]
        codes = [str(c) for c in CB[name].codes]
        y = prep[name].astype("object")
        ok = y.notna().to_numpy()
        expected = model_probs(prof[ok], model["coefficients"], model["thresholds"]).mean(axis=0)
        observed = y[ok].map(str).value_counts(normalize=True).reindex(codes, fill_value=0.0)
        se = np.sqrt(expected * (1 - expected) / ok.sum())
        z = (observed.to_numpy() - expected) / se
        assert np.all(np.abs(z) < 4), (name, z.round(2))
        # don't know: flagged, never on the scale
        dk = prep[f"{name}_dk"].fillna(False).to_numpy(dtype=bool)
        assert not (dk & ok).any()
        p_dk = model["dont_know_rate"] * (1 - model["nonresponse_rate"])
        assert abs(dk.mean() - p_dk) < 4 * np.sqrt(p_dk * (1 - p_dk) / len(prep))


# ------------------------------------------------------------------------------------
# the documentation states the parameters the code uses

DOC = Path(__file__).resolve().parents[1] / "docs" / "simulation.md"


def test_documented_tables_match_the_parameters():
    text = DOC.read_text(encoding="utf-8")
    coef = dict(re.findall(r"^\| `([a-z_]+\[T\.[a-z0-9_]+\])` \| (-?[0-9.]+) \|$", text, re.M))
    assert {k: float(v) for k, v in coef.items()} == DEFAULT_PARAMS["latent"]["coefficients"]
    for name, spec in DEFAULT_PARAMS["ordinal"].items():
        cells = re.search(rf"^\| {name} \|((?: -?[0-9.]+ \|){{4}})", text, re.M)
        assert cells, name
        assert [float(x) for x in cells.group(1).split("|") if x.strip()] == spec["thresholds"]
    popularity = dict(re.findall(r"^\| ([a-z_]+) \| (-?[0-9.]+) \|$", text, re.M))
    assert {k: float(v) for k, v in popularity.items()} == DEFAULT_PARAMS["q1_skills"]["intercepts"]
    for line in re.findall(r"^\| (role|service|sector) \| (.*) \|$", text, re.M):
        pairs = dict(re.findall(r"([a-z_0-9]+) ([0-9.]+)", line[1]))
        assert {k: float(v) for k, v in pairs.items()} == DEFAULT_PARAMS["profile"][line[0]]
