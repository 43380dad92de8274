"""Synthetic survey years from a documented generating process.

No real responses of the survey are public, so the bundled ``data/raw/YEAR.csv`` files are
**synthetic**: drawn by this module from the model below, in exactly the format a real
Google Forms export has (see ``docs/raw-export-format.md``). The true parameters are
written beside each file (``YEAR.truth.yaml``) so that tables and ordinal models can be
checked against them.

Generating process
------------------
Every number below is a default of :data:`DEFAULT_PARAMS` and is copied to the truth file.

1. **Profile** (always answered: required questions in the form).

   - role: operator 0.45, team_leader 0.27, manager 0.18, director 0.10;
   - service: in_house 0.55, outsourcing 0.45;
   - sector: telecom 0.22, energy_utilities 0.14, banking_insurance 0.18,
     retail_ecommerce 0.16, public_health 0.10, transport_tourism 0.10, other 0.10;
   - company size depends on service (outsourcers are larger):
     in_house lt50 0.18, 50_249 0.27, 250_999 0.27, ge1000 0.28;
     outsourcing lt50 0.05, 50_249 0.20, 250_999 0.35, ge1000 0.40;
   - experience depends on role (directors are more often senior):
     operator lt2 0.30, 2_5 0.36, 6_10 0.20, gt10 0.14;
     team_leader 0.08, 0.34, 0.33, 0.25; manager 0.04, 0.22, 0.36, 0.38;
     director 0.02, 0.13, 0.30, 0.55.

2. **Latent relevance of soft skills.** With treatment coding (reference: operator,
   in-house, less than 2 years) ``x'beta`` = team_leader 0.30, manager 0.50, director 0.80,
   outsourcing -0.30, experience 2_5 0.20, 6_10 0.40, gt10 0.60, and a year trend of
   +0.15 per year after 2020. A respondent's latent relevance is
   ``r = x'beta + 0.15 (year - 2020) + e0`` with ``e0`` standard logistic.

3. **Ordinal questions** q2 (relevance), q3 (soft vs hard) and q6 (valued in the company).
   Question ``q`` has latent ``y*_q = x'beta_q + 0.15 (year - 2020) + e_q`` with ``e_q``
   standard logistic, and answer ``j`` when ``theta_{q,j-1} < y*_q <= theta_{q,j}``. Hence
   each answer follows exactly the cumulative-logit model
   ``logit P(Y_q <= j | x) = theta_{q,j} - 0.15 (year - 2020) - x'beta_q``.
   ``beta_q`` equals ``beta`` for q2 and q3; q6 has its own shift: outsourced services value
   soft skills less (``service[T.outsourcing]`` = -0.30 - 0.60 = -0.90).
   Thresholds in 2020: q2 (-3.6, -2.3, -0.3, 1.5); q3 (-3.9, -2.5, -0.2, 1.9);
   q6 (-2.3, -0.7, 1.0, 2.8). The noises ``e0, e2, e3, e6`` are tied by a Gaussian copula:
   ``e_q = logit(Phi(z_q))`` with ``z_q = sqrt(0.5) z0 + sqrt(0.5) u_q`` (equicorrelation
   0.5 on the normal scale), so the answers of one respondent agree more than chance while
   each marginal model stays exactly cumulative-logit.

4. **Question 1** (multiple choice): skill ``k`` is picked with probability
   ``expit(a_k + 0.45 r)``; ``a_k`` (popularity) = communication -0.2, active_listening -0.3,
   empathy -0.4, problem_solving -0.6, patience -1.0, service_orientation -0.9,
   stress_management -1.3, flexibility -1.4, emotional_intelligence -1.6, teamwork -1.8,
   critical_thinking -2.2, negotiation -2.4 (about 3.8 picks per respondent in 2020). A respondent with no pick picks one skill drawn
   with probabilities proportional to ``exp(a_k)``.

5. **Question 4** (yes / no / don't know): don't know with probability 0.05, otherwise yes
   with probability ``expit(1.2 + 0.5 r)``.

6. **Question 5** (single choice): interview 0.30, assessment_center 0.12,
   psychometric_test 0.10, role_play 0.20, feedback_360 0.10, field_observation 0.13,
   other 0.05; an "other" answer is a realistic Italian free text (``Colloqui di gruppo``,
   ``Mystery call``, ...) written, as Google Forms does, in the same cell.

7. **Battery q7** (from 2022, one 1-5 item per skill):
   ``clip(round(m_k + 0.35 r + N(0, 0.8^2)), 1, 5)`` with per-skill means ``m_k`` in
   :data:`DEFAULT_PARAMS` (communication 4.1 ... negotiation 3.0).

8. **Don't know and non-response.** Non-response (blank cell) is missing completely at
   random per question: q1 0.01, q2 0.02, q3 0.03, q4 0.02, q5 0.03, q6 0.03, each q7 item
   0.02. Among the answers given, don't know is chosen on q2 with probability 0.02 and on q6
   with 0.06.

9. **Fieldwork and the export.** Fieldwork starts on a day drawn uniformly between 24 February
   and 16 March and lasts 35 days; a submission's day is exponential (mean 7 days, truncated
   to the window), its time of day uniform between 8:00 and 20:00. Rows are in submission
   order, timestamps formatted ``dd/mm/yyyy H.MM.SS``. Emails are fake
   (``nome.cognome@example.it``). Exactly one **duplicate submission** (a respondent's
   answers re-sent 2-9 minutes later, same email) and exactly one **test row** (email
   ``test@example.it``, question 5 answered ``prova``, sent 20-120 minutes before the first
   real answer) are added; their spreadsheet row numbers are in the truth file. So the file
   has ``n + 2`` data rows for ``n`` respondents.

Random numbers come from ``numpy.random.default_rng(seed)`` consumed in a fixed order, so
the same ``(year, n, seed, params)`` gives byte-identical files. The bundled years use
``seed = year * 10000 + 312`` (see :func:`bundled_seed`).

Examples
--------
>>> from analysis.simulate import simulate_year
>>> raw, truth = simulate_year(2020, 50, seed=1)
>>> len(raw), truth["rows"]["respondents"]
(52, 50)
>>> list(raw.columns[:2])
['Informazioni cronologiche', 'Indirizzo email']
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import re
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from scipy.special import expit, logit
from scipy.stats import norm

from analysis.codebook import Codebook, Variable, load_codebook
from analysis.config import RAW_DIR
from analysis.errors import SurveyUsageError

__all__ = [
    "DEFAULT_PARAMS",
    "BUNDLED_SIZES",
    "TIMESTAMP_HEADER",
    "EMAIL_HEADER",
    "SimulationError",
    "bundled_seed",
    "simulate_year",
    "simulate_export",
    "write_truth",
    "write_bundled",
    "ordinal_probabilities",
]

#: Header of the submission timestamp in an Italian Google Forms export.
TIMESTAMP_HEADER = "Informazioni cronologiche"
#: Header of the collected email address (personal data).
EMAIL_HEADER = "Indirizzo email"

#: Number of respondents of the bundled synthetic years (2020 is the real survey's size).
BUNDLED_SIZES: dict[int, int] = {2020: 163, 2021: 190, 2022: 212, 2023: 236, 2024: 251}

ORDINAL_QUESTIONS = ("q2_relevance", "q3_soft_vs_hard", "q6_valued")


class SimulationError(SurveyUsageError, ValueError):
    """Invalid arguments to the generator (year, size, format, parameters, output path).

    A :class:`~analysis.errors.SurveyUsageError`, so the CLI reports it without a traceback
    (exit code 2).
    """


def bundled_seed(year: int) -> int:
    """Seed of a bundled synthetic year: ``year * 10000 + 312`` (2020 -> 20200312).

    Examples
    --------
    >>> bundled_seed(2021)
    20210312
    """
    return int(year) * 10000 + 312


#: The generating process's parameters (documented in the module docstring).
DEFAULT_PARAMS: dict[str, Any] = {
    "reference_year": 2020,
    "profile": {
        "role": {"operator": 0.45, "team_leader": 0.27, "manager": 0.18, "director": 0.10},
        "service": {"in_house": 0.55, "outsourcing": 0.45},
        "sector": {
            "telecom": 0.22,
            "energy_utilities": 0.14,
            "banking_insurance": 0.18,
            "retail_ecommerce": 0.16,
            "public_health": 0.10,
            "transport_tourism": 0.10,
            "other": 0.10,
        },
        "company_size_given_service": {
            "in_house": {"lt50": 0.18, "50_249": 0.27, "250_999": 0.27, "ge1000": 0.28},
            "outsourcing": {"lt50": 0.05, "50_249": 0.20, "250_999": 0.35, "ge1000": 0.40},
        },
        "experience_given_role": {
            "operator": {"lt2": 0.30, "2_5": 0.36, "6_10": 0.20, "gt10": 0.14},
            "team_leader": {"lt2": 0.08, "2_5": 0.34, "6_10": 0.33, "gt10": 0.25},
            "manager": {"lt2": 0.04, "2_5": 0.22, "6_10": 0.36, "gt10": 0.38},
            "director": {"lt2": 0.02, "2_5": 0.13, "6_10": 0.30, "gt10": 0.55},
        },
    },
    "latent": {
        "trend_per_year": 0.15,
        "coefficients": {
            "role[T.team_leader]": 0.30,
            "role[T.manager]": 0.50,
            "role[T.director]": 0.80,
            "service[T.outsourcing]": -0.30,
            "experience[T.2_5]": 0.20,
            "experience[T.6_10]": 0.40,
            "experience[T.gt10]": 0.60,
        },
        "copula_correlation": 0.5,
    },
    "ordinal": {
        "q2_relevance": {"shift": {}, "thresholds": [-3.6, -2.3, -0.3, 1.5]},
        "q3_soft_vs_hard": {"shift": {}, "thresholds": [-3.9, -2.5, -0.2, 1.9]},
        "q6_valued": {
            "shift": {"service[T.outsourcing]": -0.60},
            "thresholds": [-2.3, -0.7, 1.0, 2.8],
        },
    },
    "q1_skills": {
        "slope": 0.45,
        "intercepts": {
            "communication": -0.2,
            "active_listening": -0.3,
            "empathy": -0.4,
            "problem_solving": -0.6,
            "patience": -1.0,
            "service_orientation": -0.9,
            "stress_management": -1.3,
            "flexibility": -1.4,
            "emotional_intelligence": -1.6,
            "teamwork": -1.8,
            "critical_thinking": -2.2,
            "negotiation": -2.4,
        },
    },
    "q4_policies": {"dont_know": 0.05, "yes_intercept": 1.2, "yes_slope": 0.5},
    "q5_assessment": {
        "probabilities": {
            "interview": 0.30,
            "assessment_center": 0.12,
            "psychometric_test": 0.10,
            "role_play": 0.20,
            "feedback_360": 0.10,
            "field_observation": 0.13,
            "other": 0.05,
        },
        "other_texts": [
            "Colloqui di gruppo",
            "Mystery call",
            "Ascolto delle chiamate registrate",
            "Questionari di soddisfazione dei clienti",
            "Un mix di strumenti diversi",
            "Affiancamento in aula e sul campo",
            "Dipende dal ruolo",
            "Valutazione del responsabile diretto",
            "Gamification",
        ],
    },
    "q7_skill_relevance": {
        "slope": 0.35,
        "noise_sd": 0.8,
        "means": {
            "communication": 4.1,
            "active_listening": 4.0,
            "empathy": 3.9,
            "problem_solving": 3.9,
            "patience": 3.6,
            "service_orientation": 3.8,
            "stress_management": 3.5,
            "flexibility": 3.5,
            "emotional_intelligence": 3.3,
            "teamwork": 3.3,
            "critical_thinking": 3.1,
            "negotiation": 3.0,
        },
    },
    "dont_know": {"q2_relevance": 0.02, "q6_valued": 0.06},
    "nonresponse": {
        "q1_skills": 0.01,
        "q2_relevance": 0.02,
        "q3_soft_vs_hard": 0.03,
        "q4_policies": 0.02,
        "q5_assessment": 0.03,
        "q6_valued": 0.03,
        "q7_skill_relevance": 0.02,
    },
    "fieldwork": {
        "start_earliest": "02-24",
        "start_latest": "03-16",
        "days": 35,
        "mean_delay_days": 7.0,
        "first_hour": 8,
        "last_hour": 20,
    },
    "duplicate_delay_minutes": [2, 9],
    "test_row": {"email": "test@example.it", "q5_text": "prova", "minutes_before": [20, 120]},
}

_FIRST_NAMES = [
    "giulia", "francesca", "chiara", "sara", "martina", "valentina", "elena", "laura", "paola",
    "silvia", "federica", "alessandra", "roberta", "simona", "marco", "luca", "andrea",
    "matteo", "davide", "paolo", "stefano", "giuseppe", "francesco", "alessandro", "roberto",
    "simone", "fabio", "massimo", "giorgio", "lorenzo",
]  # fmt: skip
_LAST_NAMES = [
    "rossi", "russo", "ferrari", "esposito", "bianchi", "romano", "colombo", "ricci", "marino",
    "greco", "bruno", "gallo", "conti", "deluca", "mancini", "costa", "giordano", "rizzo",
    "lombardi", "moretti", "barbieri", "fontana", "santoro", "mariani", "rinaldi", "caruso",
    "ferrara", "galli", "martini", "leone", "longo", "gentile", "martinelli", "vitale",
    "serra", "coppola", "desantis", "marchetti", "parisi", "villa",
]  # fmt: skip


# ------------------------------------------------------------------------------------
# parameters


def _merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _probs(mapping: Mapping[str, float], codes: list[str], where: str) -> np.ndarray:
    missing = [c for c in codes if c not in mapping]
    extra = [c for c in mapping if c not in codes]
    if missing or extra:
        raise SimulationError(
            f"parameters {where}: expected probabilities for {codes}, "
            f"missing {missing}, unknown {extra}"
        )
    p = np.array([float(mapping[c]) for c in codes])
    if (p < 0).any() or not np.isclose(p.sum(), 1.0):
        raise SimulationError(f"parameters {where}: probabilities must be >= 0 and sum to 1")
    return p / p.sum()


def _codes(var: Variable) -> list[str]:
    return [str(c) for c in var.codes]


# ------------------------------------------------------------------------------------
# the model


def _design(profile: pd.DataFrame, coefficients: Mapping[str, float]) -> np.ndarray:
    """x'beta for patsy-style treatment terms ``var[T.code]``."""
    eta = np.zeros(len(profile))
    for term, value in coefficients.items():
        m = re.fullmatch(r"(\w+)\[T\.(.+)\]", term)
        if m is None or m.group(1) not in profile.columns:
            raise SimulationError(f"parameters: cannot read coefficient term {term!r}")
        eta += float(value) * (profile[m.group(1)].to_numpy() == m.group(2))
    return eta


def _question_coefficients(params: Mapping[str, Any], name: str) -> dict[str, float]:
    coefs = {k: float(v) for k, v in params["latent"]["coefficients"].items()}
    for term, value in params["ordinal"][name].get("shift", {}).items():
        coefs[term] = coefs.get(term, 0.0) + float(value)
    return coefs


def _year_thresholds(params: Mapping[str, Any], name: str, year: int) -> list[float]:
    trend = float(params["latent"]["trend_per_year"]) * (year - int(params["reference_year"]))
    return [float(t) - trend for t in params["ordinal"][name]["thresholds"]]


def ordinal_probabilities(
    profile: pd.DataFrame, coefficients: Mapping[str, float], thresholds: list[float]
) -> np.ndarray:
    """Category probabilities of a cumulative-logit model for each row of ``profile``.

    ``logit P(Y <= j | x) = theta_j - x'beta`` with patsy-style term names
    (``"role[T.manager]"``) read against the profile columns (option codes).

    Parameters
    ----------
    profile : DataFrame
        One row per respondent, columns ``role``, ``service``, ``experience``, ... (codes).
    coefficients : mapping
        Term name to coefficient.
    thresholds : list of float
        Increasing cut-points ``theta_1 < ... < theta_{K-1}``.

    Returns
    -------
    ndarray, shape (len(profile), K)

    Examples
    --------
    >>> import pandas as pd
    >>> p = ordinal_probabilities(pd.DataFrame({"role": ["operator"]}), {}, [0.0])
    >>> p.round(2).tolist()
    [[0.5, 0.5]]
    """
    xb = _design(profile, coefficients)
    cum = expit(np.asarray(thresholds, dtype=float)[None, :] - xb[:, None])
    cum = np.hstack([np.zeros((len(xb), 1)), cum, np.ones((len(xb), 1))])
    return np.diff(cum, axis=1)


def _draw_profile(
    rng: np.random.Generator, n: int, cb: Codebook, params: Mapping[str, Any]
) -> pd.DataFrame:
    prof = params["profile"]
    out: dict[str, np.ndarray] = {}
    for name in ("role", "service", "sector"):
        codes = _codes(cb[name])
        out[name] = rng.choice(codes, size=n, p=_probs(prof[name], codes, f"profile.{name}"))
    for name, parent, key in (
        ("company_size", "service", "company_size_given_service"),
        ("experience", "role", "experience_given_role"),
    ):
        codes = _codes(cb[name])
        u = rng.random(n)
        values = np.empty(n, dtype=object)
        for level in _codes(cb[parent]):
            p = _probs(prof[key][level], codes, f"profile.{key}.{level}")
            idx = np.searchsorted(np.cumsum(p)[:-1], u, side="right")
            mask = out[parent] == level
            values[mask] = np.asarray(codes, dtype=object)[idx[mask]]
        out[name] = values
    return pd.DataFrame({k: np.asarray(v, dtype=object) for k, v in out.items()})


def _fieldwork_times(
    rng: np.random.Generator, n: int, year: int, fw: Mapping[str, Any]
) -> tuple[dt.datetime, list[dt.datetime]]:
    earliest = dt.date.fromisoformat(f"{year}-{fw['start_earliest']}")
    latest = dt.date.fromisoformat(f"{year}-{fw['start_latest']}")
    start = earliest + dt.timedelta(days=int(rng.integers(0, (latest - earliest).days + 1)))
    days = int(fw["days"])
    # exponential delay truncated to the window (inverse-cdf draw)
    u = rng.random(n)
    rate = 1.0 / float(fw["mean_delay_days"])
    delay = -np.log1p(-u * (1.0 - np.exp(-rate * days))) / rate
    day = np.minimum(np.floor(delay).astype(int), days - 1)
    secs = rng.integers(int(fw["first_hour"]) * 3600, int(fw["last_hour"]) * 3600, size=n)
    start_dt = dt.datetime.combine(start, dt.time())
    times = [
        start_dt + dt.timedelta(days=int(d), seconds=int(s)) for d, s in zip(day, secs, strict=True)
    ]
    return start_dt, times


def _emails(rng: np.random.Generator, n: int) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    first = rng.integers(0, len(_FIRST_NAMES), size=n)
    last = rng.integers(0, len(_LAST_NAMES), size=n)
    for f, g in zip(first, last, strict=True):
        base = f"{_FIRST_NAMES[f]}.{_LAST_NAMES[g]}"
        k = seen.get(base, 0)
        seen[base] = k + 1
        out.append(f"{base}{k if k else ''}@example.it")
    return out


def _format_ts(t: dt.datetime) -> str:
    return f"{t:%d/%m/%Y} {t.hour}.{t:%M.%S}"


def _headers(cb: Codebook, year: int) -> tuple[list[str], dict[str, list[str]]]:
    """Export headers in order, and for each variable its header(s)."""
    headers = [TIMESTAMP_HEADER, EMAIL_HEADER]
    by_var: dict[str, list[str]] = {}
    for var in cb.variables_for(year):
        if var.type == "battery":
            cols = [f"{var.text('it')} [{item.it}]" for item in var.items]
        else:
            cols = [var.text("it")]
        by_var[var.name] = cols
        headers.extend(cols)
    return headers, by_var


def _check_args(year: int, n: int, seed: int, cb: Codebook) -> None:
    if not isinstance(year, int | np.integer) or isinstance(year, bool):
        raise SimulationError(f"year must be an integer, got {year!r}")
    try:
        cb.version_for(int(year))
    except KeyError as exc:
        raise SimulationError(str(exc.args[0])) from None
    if not (1900 <= year <= 2100):
        raise SimulationError(f"year {year} is not a plausible survey year")
    if not isinstance(n, int | np.integer) or isinstance(n, bool) or n < 1:
        raise SimulationError(f"n must be a positive integer (respondents), got {n!r}")
    if not isinstance(seed, int | np.integer) or isinstance(seed, bool) or seed < 0:
        raise SimulationError(f"seed must be a non-negative integer, got {seed!r}")


def _markers(cb: Codebook) -> list[str]:
    return [str(m).lower() for m in cb.metadata.get("test_markers", ["test", "prova"])]


def simulate_year(
    year: int,
    n: int,
    seed: int,
    *,
    codebook: Codebook | str | Path | None = None,
    params: Mapping[str, Any] | None = None,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Draw one synthetic survey year as its raw Google Forms export.

    Parameters
    ----------
    year : int
        Survey year; picks the questionnaire version (battery q7 only from 2022).
    n : int
        Number of respondents (the export has ``n + 2`` rows: one duplicate submission and
        one test row are added).
    seed : int
        Seed of ``numpy.random.default_rng``.
    codebook : Codebook or path, optional
        Defaults to the project's codebook.
    params : mapping, optional
        Overrides of :data:`DEFAULT_PARAMS` (merged key by key).

    Returns
    -------
    raw : DataFrame
        Exactly the columns and cell texts of the CSV export (all strings, blank = missing).
    truth : dict
        The true parameters, the fieldwork dates and where the duplicate and the test row are
        (see :func:`write_truth`).

    Examples
    --------
    >>> raw, truth = simulate_year(2022, 20, seed=7)
    >>> truth["models"]["q2_relevance"]["coefficients"]["role[T.director]"]
    0.8
    >>> sum(c.endswith("[Empatia]") for c in raw.columns)
    1
    """
    cb = codebook if isinstance(codebook, Codebook) else load_codebook(codebook)
    _check_args(year, n, seed, cb)
    year, n, seed = int(year), int(n), int(seed)
    p = _merge(DEFAULT_PARAMS, params or {})
    rng = np.random.default_rng(seed)
    headers, by_var = _headers(cb, year)
    asked = {v.name for v in cb.variables_for(year)}
    t = year - int(p["reference_year"])
    trend = float(p["latent"]["trend_per_year"]) * t

    # -- profile and latent ------------------------------------------------------------
    m = n + 1  # respondents + the test row (drawn like a respondent)
    prof = _draw_profile(rng, m, cb, p)
    rho = float(p["latent"]["copula_correlation"])
    z0 = rng.standard_normal(m)
    e0 = logit(norm.cdf(z0))
    relevance = _design(prof, p["latent"]["coefficients"]) + trend + e0
    cells: dict[str, list[Any]] = {}
    for name in ("role", "service", "sector", "company_size", "experience"):
        labels = cb[name].label_map("it")
        cells[name] = [labels[_code_of(cb[name], c)] for c in prof[name]]

    # -- ordinal questions --------------------------------------------------------------
    ordinal_codes: dict[str, np.ndarray] = {}
    for name in ORDINAL_QUESTIONS:
        z = np.sqrt(rho) * z0 + np.sqrt(1.0 - rho) * rng.standard_normal(m)
        ystar = _design(prof, _question_coefficients(p, name)) + trend + logit(norm.cdf(z))
        theta = np.asarray(p["ordinal"][name]["thresholds"], dtype=float)
        if np.any(np.diff(theta) <= 0) or len(theta) != len(cb[name].options) - 1:
            raise SimulationError(
                f"parameters ordinal.{name}.thresholds: need {len(cb[name].options) - 1} "
                "increasing cut-points"
            )
        ordinal_codes[name] = np.searchsorted(theta, ystar, side="left")  # 0-based category

    # -- question 1 ----------------------------------------------------------------------
    q1 = cb["q1_skills"]
    skills = _codes(q1)
    a = np.array([float(p["q1_skills"]["intercepts"][s]) for s in skills])
    pick_p = expit(a[None, :] + float(p["q1_skills"]["slope"]) * relevance[:, None])
    picks = rng.random((m, len(skills))) < pick_p
    fallback = rng.choice(len(skills), size=m, p=np.exp(a) / np.exp(a).sum())
    none = ~picks.any(axis=1)
    picks[none, fallback[none]] = True
    q1_labels = [o.it for o in q1.options]
    cells["q1_skills"] = [
        ", ".join(lbl for lbl, on in zip(q1_labels, row, strict=True) if on) for row in picks
    ]

    # -- ordinal cells with don't know ----------------------------------------------------
    dk_u = {name: rng.random(m) for name in ORDINAL_QUESTIONS}
    for name in ORDINAL_QUESTIONS:
        var = cb[name]
        labels = [o.it for o in var.options]
        dk_rate = float(p["dont_know"].get(name, 0.0))
        dk_label = var.dont_know[0].it if var.dont_know else None
        col = []
        for k, u in zip(ordinal_codes[name], dk_u[name], strict=True):
            col.append(dk_label if (dk_label and u < dk_rate) else labels[int(k)])
        cells[name] = col

    # -- question 4 ---------------------------------------------------------------------
    q4 = cb["q4_policies"]
    q4p = p["q4_policies"]
    u_dk, u_yes = rng.random(m), rng.random(m)
    yes = u_yes < expit(float(q4p["yes_intercept"]) + float(q4p["yes_slope"]) * relevance)
    lab4 = q4.label_map("it")
    cells["q4_policies"] = [
        q4.dont_know[0].it if d < float(q4p["dont_know"]) else lab4["yes" if y else "no"]
        for d, y in zip(u_dk, yes, strict=True)
    ]

    # -- question 5 ---------------------------------------------------------------------
    q5 = cb["q5_assessment"]
    codes5 = _codes(q5)
    p5 = _probs(p["q5_assessment"]["probabilities"], codes5, "q5_assessment.probabilities")
    texts = list(p["q5_assessment"]["other_texts"])
    _check_other_texts(texts, q5, _markers(cb))
    choice5 = rng.choice(len(codes5), size=m, p=p5)
    text_idx = rng.integers(0, len(texts), size=m)
    lab5 = q5.labels("it")
    cells["q5_assessment"] = [
        texts[j] if codes5[c] == str(q5.other.code if q5.other else "") else lab5[c]
        for c, j in zip(choice5, text_idx, strict=True)
    ]

    # -- battery ------------------------------------------------------------------------
    battery_cols: dict[str, list[str]] = {}
    if "q7_skill_relevance" in asked:
        q7 = cb["q7_skill_relevance"]
        b = p["q7_skill_relevance"]
        for item, header in zip(q7.items, by_var[q7.name], strict=True):
            mean = float(b["means"][str(item.code)])
            raw = (
                mean + float(b["slope"]) * relevance + float(b["noise_sd"]) * rng.standard_normal(m)
            )
            val = np.clip(np.rint(raw), 1, 5).astype(int)
            battery_cols[header] = [str(v) for v in val]

    # -- non-response -------------------------------------------------------------------
    nr = p["nonresponse"]
    for name in (
        "q1_skills",
        "q2_relevance",
        "q3_soft_vs_hard",
        "q4_policies",
        "q5_assessment",
        "q6_valued",
    ):
        blank = rng.random(m) < float(nr.get(name, 0.0))
        cells[name] = [None if bl else v for v, bl in zip(cells[name], blank, strict=True)]
    for header in battery_cols:
        blank = rng.random(m) < float(nr.get("q7_skill_relevance", 0.0))
        battery_cols[header] = [
            None if bl else v for v, bl in zip(battery_cols[header], blank, strict=True)
        ]

    # -- rows: respondents, the test row, the duplicate ---------------------------------
    start, times = _fieldwork_times(rng, n, year, p["fieldwork"])
    emails = _emails(rng, n)
    tr = p["test_row"]
    lo, hi = (int(x) for x in tr["minutes_before"])
    test_time = min(times) - dt.timedelta(minutes=int(rng.integers(lo, hi + 1)))
    dup_of = int(rng.integers(0, n))
    dlo, dhi = (int(x) for x in p["duplicate_delay_minutes"])
    dup_time = times[dup_of] + dt.timedelta(
        minutes=int(rng.integers(dlo, dhi + 1)), seconds=int(rng.integers(0, 60))
    )

    records: list[dict[str, Any]] = []
    for i in range(m):
        rec: dict[str, Any] = {}
        for name, cols in by_var.items():
            if cb[name].type == "battery":
                for header in cols:
                    rec[header] = battery_cols[header][i]
            elif name in cells:
                rec[cols[0]] = cells[name][i]
            else:  # a free-text variable written in another column (none in Google Forms)
                rec[cols[0]] = None
        records.append(rec)
    # q5_assessment_other has no column of its own in a Google Forms export
    headers = [h for h in headers if h not in by_var.get("q5_assessment_other", [])]

    rows: list[tuple[dt.datetime, int, str, str, dict[str, Any]]] = []
    for i in range(n):
        rows.append((times[i], 0, "respondent", emails[i], records[i]))
    test_rec = dict(records[n])
    test_rec[by_var["q5_assessment"][0]] = str(tr["q5_text"])
    rows.append((test_time, 1, "test", str(tr["email"]), test_rec))
    rows.append((dup_time, 2, "duplicate", emails[dup_of], dict(records[dup_of])))
    order = sorted(range(len(rows)), key=lambda k: (rows[k][0], rows[k][1], k))

    table = []
    kinds = []
    for k in order:
        when, _, kind, email, rec = rows[k]
        row = {TIMESTAMP_HEADER: _format_ts(when), EMAIL_HEADER: email}
        row.update(rec)
        table.append([row.get(h) for h in headers])
        kinds.append((kind, k))
    raw = pd.DataFrame(table, columns=headers, dtype=object)

    pos = {k: i for i, (_, k) in enumerate(kinds)}  # original index -> row position
    sheet_row = {k: pos[k] + 2 for k in pos}  # spreadsheet row: header is row 1
    truth = _truth(
        year=year,
        n=n,
        seed=seed,
        params=p,
        cb=cb,
        start=start,
        first=min(times),
        last=max(max(times), dup_time),
        test=(sheet_row[n], _format_ts(test_time), str(tr["email"]), str(tr["q5_text"])),
        dup=(sheet_row[n + 1], sheet_row[dup_of], _format_ts(dup_time), emails[dup_of]),
    )
    return raw, truth


def _code_of(var: Variable, code: str) -> str | int:
    for c in var.codes:
        if str(c) == code:
            return c
    raise SimulationError(f"no option {code!r} in {var.name}")  # pragma: no cover


def _check_other_texts(texts: list[str], var: Variable, markers: list[str]) -> None:
    labels = {lbl.casefold().strip() for lbl in var.labels("it")}
    for text in texts:
        if text.casefold().strip() in labels:
            raise SimulationError(f"q5 'other' text {text!r} equals an option label")
        if any(mk in text.casefold() for mk in markers):
            raise SimulationError(f"q5 'other' text {text!r} contains a test marker")


def _r(x: float) -> float:
    return round(float(x), 6)


def _truth(
    *,
    year: int,
    n: int,
    seed: int,
    params: dict[str, Any],
    cb: Codebook,
    start: dt.datetime,
    first: dt.datetime,
    last: dt.datetime,
    test: tuple[int, str, str, str],
    dup: tuple[int, int, str, str],
) -> dict[str, Any]:
    ref = int(params["reference_year"])
    models: dict[str, Any] = {}
    for name in ORDINAL_QUESTIONS:
        codes = _codes(cb[name])
        theta = _year_thresholds(params, name, year)
        models[name] = {
            "formula": f"{name} ~ role + service + experience",
            "link": "logit",
            "convention": "logit P(Y <= j) = theta_j - x'beta",
            "coefficients": {k: _r(v) for k, v in _question_coefficients(params, name).items()},
            "thresholds": {
                f"{a}/{b}": _r(t) for a, b, t in zip(codes[:-1], codes[1:], theta, strict=True)
            },
            "thresholds_reference_year": {
                f"{a}/{b}": _r(t)
                for a, b, t in zip(
                    codes[:-1], codes[1:], params["ordinal"][name]["thresholds"], strict=True
                )
            },
            "dont_know_rate": _r(params["dont_know"].get(name, 0.0)),
            "nonresponse_rate": _r(params["nonresponse"].get(name, 0.0)),
        }
    return {
        "synthetic": True,
        "generator": "analysis.simulate.simulate_year",
        "year": year,
        "n": n,
        "seed": seed,
        "questionnaire_version": cb.version_for(year).name,
        "rows": {
            "data_rows": n + 2,
            "respondents": n,
            "test": {"row": test[0], "timestamp": test[1], "email": test[2], "q5_text": test[3]},
            "duplicate": {
                "row": dup[0],
                "duplicate_of_row": dup[1],
                "timestamp": dup[2],
                "email": dup[3],
            },
            "row_numbering": "spreadsheet rows: the header is row 1, the first answer row 2",
        },
        "fieldwork": {
            "start": start.date().isoformat(),
            "first_submission": first.isoformat(sep=" "),
            "last_submission": last.isoformat(sep=" "),
        },
        "models": models,
        "trend": {
            "per_year": _r(params["latent"]["trend_per_year"]),
            "reference_year": ref,
            "pooled_term": f"I(year - {ref})",
            "note": "thresholds = thresholds_reference_year - per_year * (year - reference_year)",
        },
        "params": _round_tree(params),
    }


def _round_tree(x: Any) -> Any:
    if isinstance(x, Mapping):
        return {str(k): _round_tree(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_round_tree(v) for v in x]
    if isinstance(x, float):
        return _r(x)
    return x


# ------------------------------------------------------------------------------------
# writing


def write_truth(truth: Mapping[str, Any], path: Path) -> Path:
    """Write the truth as YAML (sorted keys, UTF-8, ``\\n`` line endings)."""
    text = yaml.safe_dump(
        _round_tree(truth), sort_keys=True, allow_unicode=True, default_flow_style=False, width=100
    )
    path.write_bytes(("# SYNTHETIC DATA: true parameters of analysis.simulate\n" + text).encode())
    return path


def _write_csv(raw: pd.DataFrame, path: Path) -> None:
    buf = io.StringIO()
    raw.to_csv(buf, index=False, lineterminator="\n")
    path.write_bytes(buf.getvalue().encode("utf-8"))


_FIXED_ZIP_TIME = (2020, 1, 1, 0, 0, 0)


def _parse_ts(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%d/%m/%Y %H.%M.%S")


def _xlsx_frame(raw: pd.DataFrame, cb: Codebook, year: int, seed: int) -> pd.DataFrame:
    """Microsoft Forms layout: ID, Start time, Completion time, Email, Name, questions."""
    rng = np.random.default_rng([seed, 1])
    done = [_parse_ts(s) for s in raw[TIMESTAMP_HEADER]]
    took = rng.integers(90, 900, size=len(done))
    _, by_var = _headers(cb, year)
    q1_header = by_var["q1_skills"][0]
    labels = sorted(cb["q1_skills"].labels("it"), key=len, reverse=True)

    def ms_join(cell: Any) -> Any:
        if cell is None or (isinstance(cell, float) and np.isnan(cell)):
            return None
        found = []
        rest = str(cell)
        for lbl in labels:
            if lbl in rest:
                found.append(lbl)
                rest = rest.replace(lbl, "")
        ordered = [lbl for lbl in cb["q1_skills"].labels("it") if lbl in found]
        return "".join(f"{lbl};" for lbl in ordered)

    names = []
    for email in raw[EMAIL_HEADER]:
        local = str(email).split("@")[0]
        names.append(" ".join(part.capitalize() for part in local.split(".")))
    out = pd.DataFrame(
        {
            "ID": list(range(1, len(raw) + 1)),
            "Start time": [
                d - dt.timedelta(seconds=int(s)) for d, s in zip(done, took, strict=True)
            ],
            "Completion time": done,
            "Email": list(raw[EMAIL_HEADER]),
            "Name": names,
        }
    )
    for col in raw.columns[2:]:
        values = list(raw[col])
        if col == q1_header:
            values = [ms_join(v) for v in values]
        elif col.endswith("]") and "[" in col:
            values = [None if v is None else int(v) for v in values]
        out[col] = pd.Series(values, dtype=object)
    return out


def _write_xlsx(frame: pd.DataFrame, path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        ws.append([None if (isinstance(v, float) and np.isnan(v)) else v for v in row])
    for cell in ws["B"][1:] + ws["C"][1:]:
        cell.number_format = "m/d/yy h:mm:ss"
    fixed = dt.datetime(*_FIXED_ZIP_TIME)
    wb.properties.created = fixed
    wb.properties.creator = "analysis.simulate (synthetic)"
    buf = io.BytesIO()
    wb.save(buf)
    # openpyxl stamps "modified" with the current time and the zip entries with the local
    # time: rewrite both so that the same seed gives the same bytes.
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>" + fixed.strftime("%Y-%m-%dT%H:%M:%SZ").encode() + rb"\g<2>",
                    data,
                )
            zi = zipfile.ZipInfo(info.filename, date_time=_FIXED_ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            dst.writestr(zi, data)
    path.write_bytes(out.getvalue())


def _write_sav(raw: pd.DataFrame, cb: Codebook, year: int, path: Path) -> None:
    import pyreadstat

    _, by_var = _headers(cb, year)
    data: dict[str, Any] = {
        "Timestamp": [_parse_ts(s) for s in raw[TIMESTAMP_HEADER]],
        "Email": list(raw[EMAIL_HEADER]),
    }
    labels: dict[str, str] = {"Timestamp": TIMESTAMP_HEADER, "Email": EMAIL_HEADER}
    value_labels: dict[str, dict[float, str]] = {}
    missing: dict[str, list[float]] = {}
    measure: dict[str, str] = {}
    for var in cb.variables_for(year, include_personal=True):
        if var.type == "free_text":
            continue
        if var.type in {"multiple_choice", "battery"}:
            header = by_var[var.name]
            if var.type == "multiple_choice":
                opts = var.labels("it")
                for j, o in enumerate(var.options):
                    col = var.column_for(o.code)
                    data[col] = [
                        np.nan if _blank(c) else float(_has_label(str(c), o.it, opts))
                        for c in raw[header[0]]
                    ]
                    labels[col] = f"{var.text('it')} [{o.it}]"
                    value_labels[col] = {0.0: "No", 1.0: "Sì"}
                    measure[col] = "nominal"
                    del j
            else:
                for item, h in zip(var.items, header, strict=True):
                    col = var.column_for(item.code)
                    data[col] = [np.nan if _blank(c) else float(c) for c in raw[h]]
                    labels[col] = h
                    value_labels[col] = {float(o.code): o.it for o in var.options}
                    measure[col] = "ordinal"
            continue
        header = by_var[var.name][0]
        numeric = _numeric_codes(var)
        by_label = {lbl: numeric[c] for c, lbl in var.label_map("it").items()}
        col_values: list[float] = []
        other_text: list[str] = []
        for cell in raw[header]:
            if _blank(cell):
                col_values.append(np.nan)
                other_text.append("")
            elif cell in by_label:
                col_values.append(by_label[cell])
                other_text.append("")
            elif var.other is not None:
                col_values.append(numeric[var.other.code])
                other_text.append(str(cell))
            else:  # pragma: no cover - the generator writes only codebook labels
                raise SimulationError(f"{var.name}: unexpected cell {cell!r}")
        data[var.name] = col_values
        labels[var.name] = var.text("it")
        value_labels[var.name] = {numeric[c]: lbl for c, lbl in var.label_map("it").items()}
        measure[var.name] = "ordinal" if var.is_scale else "nominal"
        if var.dont_know:
            missing[var.name] = [numeric[o.code] for o in var.dont_know]
        if var.other is not None and var.other_free_text:
            data[var.other_free_text] = other_text
            labels[var.other_free_text] = cb[var.other_free_text].text("it")
    frame = pd.DataFrame(data)
    for col, values in data.items():
        if col not in {"Timestamp", "Email"} and not isinstance(values[0] if values else 0.0, str):
            frame[col] = pd.Series(values, dtype="float64")
    frame["Email"] = frame["Email"].astype(object)
    if "q5_assessment_other" in frame:
        frame["q5_assessment_other"] = frame["q5_assessment_other"].astype(object)
    pyreadstat.write_sav(
        frame,
        str(path),
        file_label="SYNTHETIC softskills survey",
        column_labels=labels,
        variable_value_labels=value_labels,
        missing_ranges=missing,
        variable_measure=measure,
    )
    _fix_sav_header_time(path)


def _fix_sav_header_time(path: Path) -> None:
    """Overwrite the creation date and time in the SPSS header (bytes 92-108)."""
    data = bytearray(path.read_bytes())
    if data[:4] not in (b"$FL2", b"$FL3"):  # pragma: no cover
        raise SimulationError(f"{path.name}: not an SPSS file after writing")
    data[92:101] = b"01 Jan 20"
    data[101:109] = b"00:00:00"
    path.write_bytes(bytes(data))


def _blank(cell: Any) -> bool:
    return cell is None or (isinstance(cell, float) and np.isnan(cell)) or cell == ""


def _has_label(cell: str, label: str, labels: list[str]) -> bool:
    rest = cell
    for lbl in sorted(labels, key=len, reverse=True):
        if lbl in rest:
            if lbl == label:
                return True
            rest = rest.replace(lbl, "")
    return False


def _numeric_codes(var: Variable) -> dict[str | int, float]:
    """SPSS codes: the option code when numeric, else 1..k in codebook order; don't know 9."""
    out: dict[str | int, float] = {}
    codes = var.codes
    if all(isinstance(c, int) for c in codes):
        out.update({c: float(c) for c in codes})
    else:
        out.update({c: float(i) for i, c in enumerate(codes, start=1)})
    for o in var.dont_know:
        out[o.code] = float(o.code) if isinstance(o.code, int) else 9.0
    return out


def _refuse_to_overwrite_real_data(path: Path) -> None:
    """A file may be replaced only if it is synthetic (a truth file saying so lies beside it)."""
    if not path.exists():
        return
    truth_path = path.with_name(f"{path.stem}.truth.yaml")
    synthetic = False
    if truth_path.exists():
        try:
            synthetic = bool(
                (yaml.safe_load(truth_path.read_text(encoding="utf-8")) or {}).get("synthetic")
            )
        except (yaml.YAMLError, UnicodeDecodeError, AttributeError):
            synthetic = False
    if not synthetic:
        raise SimulationError(
            f"refusing to overwrite {path}: it is not a synthetic export (no {truth_path.name} "
            "marked synthetic beside it), and raw exports are never modified; "
            "remove it yourself or choose another --out"
        )


def simulate_export(
    year: int,
    n: int,
    seed: int,
    out: Path | str | None = None,
    fmt: str = "csv",
    *,
    codebook: Codebook | str | Path | None = None,
    params: Mapping[str, Any] | None = None,
) -> Path:
    """Simulate a year and write its export plus the truth (``<stem>.truth.yaml``) beside it.

    Parameters
    ----------
    year, n, seed
        As in :func:`simulate_year`.
    out : Path, optional
        Output file; defaults to ``data/raw/YEAR.<fmt>``.
    fmt : {"csv", "xlsx", "sav"}
        Google Forms CSV, Microsoft Forms-style XLSX, or SPSS ``.sav`` (via pyreadstat).

    Returns
    -------
    Path
        The export written. Same arguments give byte-identical files.

    Raises
    ------
    SimulationError
        Bad arguments, a missing output folder, or ``out`` is an existing file that is not a
        synthetic export (a real export is never overwritten).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> simulate_export(2020, 30, seed=1, out=d / "2020.csv").name
    '2020.csv'
    >>> (d / "2020.truth.yaml").exists()
    True
    """
    fmt = fmt.lower().lstrip(".")
    if fmt not in {"csv", "xlsx", "sav"}:
        raise SimulationError(f"unknown export format {fmt!r} (expected csv, xlsx or sav)")
    cb = codebook if isinstance(codebook, Codebook) else load_codebook(codebook)
    raw, truth = simulate_year(year, n, seed, codebook=cb, params=params)
    path = Path(out) if out is not None else RAW_DIR / f"{int(year)}.{fmt}"
    if path.is_dir():
        raise SimulationError(f"--out {path} is a folder; give a file name such as {year}.{fmt}")
    if not path.parent.exists():
        raise SimulationError(f"folder {path.parent} does not exist")
    _refuse_to_overwrite_real_data(path)
    truth["format"] = fmt
    if fmt == "csv":
        _write_csv(raw, path)
    elif fmt == "xlsx":
        _write_xlsx(_xlsx_frame(raw, cb, int(year), int(seed)), path)
    else:
        _write_sav(raw, cb, int(year), path)
    write_truth(truth, path.with_name(f"{path.stem}.truth.yaml"))
    return path


def write_bundled(folder: Path | str | None = None) -> list[Path]:
    """(Re)write the bundled synthetic years 2020-2024 with their documented seeds.

    Each year ``Y`` is ``simulate_export(Y, BUNDLED_SIZES[Y], bundled_seed(Y))``, written to
    ``folder/Y.csv`` and ``folder/Y.truth.yaml``.

    Parameters
    ----------
    folder : Path, optional
        Defaults to ``data/raw``.

    Returns
    -------
    list of Path
        The CSV files written.
    """
    target = Path(folder) if folder is not None else RAW_DIR
    return [
        simulate_export(year, n, bundled_seed(year), out=target / f"{year}.csv")
        for year, n in sorted(BUNDLED_SIZES.items())
    ]
