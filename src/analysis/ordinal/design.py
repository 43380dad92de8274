"""The design of an ordinal model: formula, outcome, missing values, weights, collinearity.

Data flow: a DataFrame and a formula go in; :func:`build_design` returns an
:class:`OrdinalDesign` — the ordered outcome, the location (``X``), nominal (``Z``) and scale
(``S``) design matrices without intercept, weights, cluster ids and the codes of the grouping
factors of a mixed model — after listwise deletion (with one warning that counts the rows and
says why), dropping outcome levels nobody chose (warned) and refusing collinear predictors
(an :class:`~analysis.ordinal.errors.OrdinalModelError` naming the terms).  The fixed-effects
model (:mod:`analysis.ordinal.model`) and the mixed model (:mod:`analysis.ordinal.mixed`)
both start from it.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import patsy
from pandas.api.types import CategoricalDtype

from analysis.ordinal.errors import OrdinalModelError, OrdinalWarning

__all__ = ["OrdinalDesign", "build_design"]


@dataclass
class OrdinalDesign:
    """Everything a cumulative-link model needs, after missing values are dealt with."""

    y: pd.Series  # ordered categorical, unused levels removed
    X: pd.DataFrame | None  # location (no intercept)
    Z: pd.DataFrame | None  # nominal (threshold-specific) terms
    S: pd.DataFrame | None  # scale terms
    weights: np.ndarray | None
    cluster: np.ndarray | None
    groups: dict[str, np.ndarray]  # grouping factor -> level labels per row (mixed models)
    n_dropped: int
    dropped_levels: list[Any]
    spec: dict[str, Any] = field(default_factory=dict)


def _strip_tilde(rhs: str) -> str:
    rhs = rhs.strip()
    return rhs[1:].strip() if rhs.startswith("~") else rhs


def _build_new(info, newdata: pd.DataFrame, cols: list[str]):
    if info is None:
        return None, np.ones(len(newdata), dtype=bool)
    try:
        (dm,) = patsy.build_design_matrices(
            [info], newdata, NA_action="drop", return_type="dataframe"
        )
    except patsy.PatsyError as exc:
        raise OrdinalModelError(f"cannot build the predictors from newdata: {exc}") from None
    keep = np.zeros(len(newdata), dtype=bool)
    keep[dm.index.to_numpy(dtype=np.intp)] = True
    X = dm[cols].to_numpy(dtype=float) if cols else None
    if X is not None and not keep.all():
        full = np.full((len(newdata), X.shape[1]), np.nan)
        full[keep] = X
        X = full
    return X, keep


def _design(rhs: str, data: pd.DataFrame, env, what: str):
    try:
        dm = patsy.dmatrix(
            "~ " + rhs, data, NA_action="drop", return_type="dataframe", eval_env=env
        )
    except patsy.PatsyError as exc:
        raise OrdinalModelError(f"cannot build the {what} from the formula: {exc}") from None
    return dm


def _prep_outcome(y: pd.Series, name: str) -> tuple[pd.Series, list[Any]]:
    """Ordered categorical outcome with unused levels dropped (returned separately)."""
    if isinstance(y.dtype, CategoricalDtype):
        if not y.dtype.ordered:
            raise OrdinalModelError(
                f"outcome {name!r} is an unordered category: make it ordered, e.g. "
                f"df[{name!r}] = df[{name!r}].cat.as_ordered() (check the order of its levels)"
            )
        cat = y
    elif pd.api.types.is_bool_dtype(y.dtype):
        raise OrdinalModelError(
            f"outcome {name!r} is boolean: an ordinal model needs 3+ ordered levels (use a binary model)"
        )
    elif pd.api.types.is_numeric_dtype(y.dtype):
        vals = y.to_numpy(dtype=float)
        if not np.all(np.isfinite(vals)) or not np.all(vals == np.round(vals)):
            raise OrdinalModelError(
                f"outcome {name!r} has non-integer values; use integers or an ordered pandas Categorical"
            )
        levels = np.unique(vals).astype(np.int64)
        cat = pd.Series(
            pd.Categorical(vals.astype(np.int64), categories=levels, ordered=True),
            index=y.index,
            name=name,
        )
    else:
        raise OrdinalModelError(
            f"outcome {name!r} is text ({y.dtype}): an ordinal model needs an ordered category, e.g. "
            f"df[{name!r}] = pd.Categorical(df[{name!r}], categories=[...in order...], ordered=True)"
        )
    counts = cat.value_counts(sort=False)
    unused = [lev for lev, c in counts.items() if c == 0]
    if unused:
        cat = cat.cat.remove_unused_categories()
    return cat, unused


def _aliased_columns(M: np.ndarray) -> list[int]:
    """Columns of ``[1, M]`` that are linear combinations of the intercept and earlier columns.

    Sequential (Gram–Schmidt on the correlation matrix), as R's ``qr()`` with its limited
    pivoting moves a dependent column to the end: an earlier column is kept.
    """
    if M.shape[1] == 0:
        return []
    Mc = M - M.mean(axis=0)
    G = Mc.T @ Mc
    d = np.diag(G).copy()
    ss = np.einsum("ij,ij->j", M, M)
    out = [i for i in range(M.shape[1]) if d[i] <= 1e-14 * ss[i] or ss[i] == 0.0]
    ok = [i for i in range(M.shape[1]) if i not in out]
    s = np.zeros_like(d)
    s[ok] = 1.0 / np.sqrt(d[ok])
    C = G * s[:, None] * s[None, :]
    basis: list[int] = []
    for i in ok:
        if basis:
            Cb = C[np.ix_(basis, basis)]
            cb = C[basis, i]
            resid = C[i, i] - cb @ np.linalg.solve(Cb, cb)
        else:
            resid = C[i, i]
        if resid < 1e-9:
            out.append(i)
        else:
            basis.append(i)
    return sorted(out)


def _collinearity(M: np.ndarray, names: list[str]) -> None:
    """Raise naming the terms if [1, M] is rank deficient."""
    if M.shape[1] == 0:
        return
    Mc = M - M.mean(axis=0)
    G = Mc.T @ Mc
    d = np.diag(G).copy()
    ss = np.einsum("ij,ij->j", M, M)
    const = [names[i] for i in range(len(names)) if d[i] <= 1e-14 * ss[i] or ss[i] == 0.0]
    if const:
        raise OrdinalModelError(
            "collinear predictors: "
            + ", ".join(repr(c) for c in const)
            + " constant in the estimation sample (aliased with the thresholds); drop it"
        )
    s = 1.0 / np.sqrt(d)
    C = G * s[:, None] * s[None, :]
    k = C.shape[0]
    basis: list[int] = []
    for i in range(k):  # sequential (Gram-Schmidt on the correlation matrix)
        if basis:
            Cb = C[np.ix_(basis, basis)]
            cb = C[basis, i]
            coef = np.linalg.solve(Cb, cb)
            resid = C[i, i] - cb @ coef
        else:
            coef = np.array([])
            resid = C[i, i]
        if resid < 1e-9:
            partners = [names[basis[t]] for t in range(len(basis)) if abs(coef[t]) > 1e-6]
            raise OrdinalModelError(
                f"collinear predictors: {names[i]!r} is a linear combination of "
                + (", ".join(repr(x) for x in partners) if partners else "other terms")
                + " (and the thresholds); remove one of them"
            )
        basis.append(i)


def _term_columns(info) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for term, sl in info.term_name_slices.items():
        if term == "Intercept":
            continue
        out[term] = list(range(sl.start, sl.stop))
    return out




def _discrete_columns(parts: Sequence[tuple[Any, list[str]]]) -> dict[str, list[int]]:
    """Dummy column -> the column indices of its (all-categorical) term, per design part."""
    discrete: dict[str, list[int]] = {}
    for info, cols in parts:
        if info is None:
            continue
        cidx = {cname: i for i, cname in enumerate(cols)}
        for term in info.terms:
            if not term.factors:
                continue
            if all(info.factor_infos[f].type == "categorical" for f in term.factors):
                sl = info.slice(term)
                names_t = [info.column_names[i] for i in range(sl.start, sl.stop)]
                ids = [cidx[nm] for nm in names_t if nm in cidx]
                for nm in names_t:
                    if nm in cidx:
                        discrete[nm] = ids
    return discrete


def build_design(
    formula: str,
    data: pd.DataFrame,
    *,
    nominal: str | None = None,
    scale: str | None = None,
    weights: str | Sequence[float] | np.ndarray | pd.Series | None = None,
    cluster: str | Sequence[Any] | np.ndarray | pd.Series | None = None,
    groups: Sequence[str] = (),
    env: Any = None,
    stacklevel: int = 3,
    drop_aliased: bool = False,
) -> OrdinalDesign:
    """Outcome and design matrices of a cumulative-link model, after listwise deletion.

    Parameters
    ----------
    formula : str
        ``"outcome ~ terms"`` (patsy; no random-effect terms here).
    data : DataFrame
    nominal, scale : str, optional
        ``"~ terms"`` of threshold-specific (nominal) effects and of log-scale effects.
    weights, cluster : str or array_like, optional
        Column name or values.
    groups : sequence of str
        Grouping factors of a mixed model: column names, or ``"a:b"`` for the interaction
        (nesting) of columns; a row with a missing grouping value is dropped.
    env : patsy.EvalEnvironment, optional
        Where the formula's functions are looked up.
    stacklevel : int
        Of the warnings (the user's call).
    drop_aliased : bool
        Instead of refusing collinear predictors, drop the nominal and then location columns
        that are linear combinations of the intercept and earlier columns (as R's ``clm``
        does, ``drop.coef2``); their names are in ``spec["aliased"]``.  Used by the refits of
        :func:`~analysis.ordinal.tests.nominal_test`.

    Returns
    -------
    OrdinalDesign

    Raises
    ------
    OrdinalModelError
        Text outcome, fewer than two observed levels, collinear predictors, fewer
        observations than parameters, bad weights, unknown columns.

    Examples
    --------
    >>> df = pd.DataFrame({"y": [1, 2, 3, 1, 2, 3, 2], "x": [0.1, 0.5, 0.9, 0.2, 0.4, 1.2, 0.3]})
    >>> d = build_design("y ~ x", df)
    >>> list(d.X.columns), list(d.y.cat.categories)
    (['x'], [1, 2, 3])
    """
    if env is None:
        env = patsy.EvalEnvironment.capture(1)
    if not isinstance(formula, str) or formula.count("~") != 1:
        raise OrdinalModelError(f"formula must look like 'outcome ~ terms', got {formula!r}")
    if not isinstance(data, pd.DataFrame):
        raise OrdinalModelError("data must be a pandas DataFrame")
    lhs, rhs = (s.strip() for s in formula.split("~"))
    if lhs not in data.columns:
        raise OrdinalModelError(
            f"outcome column {lhs!r} not found in data (columns: {list(data.columns)})"
        )
    if not rhs:
        rhs = "1"
    n_all = len(data)
    df = (
        data.reset_index(drop=True)
        if not isinstance(data.index, pd.RangeIndex)
        or data.index.start != 0
        or data.index.step != 1
        else data
    )

    def _vec(arg, what):
        if arg is None:
            return None
        if isinstance(arg, str):
            if arg not in df.columns:
                raise OrdinalModelError(f"{what} column {arg!r} not found in data")
            return df[arg].to_numpy()
        v = np.asarray(arg)
        if v.shape[0] != n_all:
            raise OrdinalModelError(f"{what} has {v.shape[0]} values but data has {n_all} rows")
        return v

    wv = _vec(weights, "weights")
    cv = _vec(cluster, "cluster")
    if wv is not None:
        try:
            wv = wv.astype(float)
        except (TypeError, ValueError):
            raise OrdinalModelError("weights must be numeric") from None
    gv: dict[str, np.ndarray] = {}
    for g in groups:
        cols = [c.strip() for c in g.split(":")]
        for c in cols:
            if c not in df.columns:
                raise OrdinalModelError(
                    f"grouping factor {c!r} (in '(1 | {g})') not found in data "
                    f"(columns: {list(df.columns)})"
                )
        if len(cols) == 1:
            gv[g] = df[cols[0]].to_numpy(dtype=object)
        else:
            parts = [df[c].astype(object) for c in cols]
            miss = np.zeros(n_all, dtype=bool)
            for p_ in parts:
                miss |= p_.isna().to_numpy()
            lab = parts[0].astype(str)
            for p_ in parts[1:]:
                lab = lab + ":" + p_.astype(str)
            arr = lab.to_numpy(dtype=object)
            arr[miss] = None
            gv[g] = arr

    loc = _design(rhs, df, env, "predictors")
    loc_info = loc.design_info
    nom = None
    nom_terms: list[str] = []
    if nominal is not None:
        nom = _design(_strip_tilde(nominal), df, env, "nominal terms")
        nom_terms = [t for t in nom.design_info.term_names if t != "Intercept"]
    sca = None
    if scale is not None:
        sca = _design(_strip_tilde(scale), df, env, "scale terms")

    # listwise deletion
    keep = np.zeros(n_all, dtype=bool)
    keep[loc.index.to_numpy()] = True
    reasons: dict[str, int] = {}
    y_raw = df[lhs]
    ymiss = y_raw.isna().to_numpy()
    if ymiss.any():
        reasons[f"outcome {lhs!r}"] = int(ymiss.sum())
    keep &= ~ymiss
    for extra in (nom, sca):
        if extra is not None:
            k2 = np.zeros(n_all, dtype=bool)
            k2[extra.index.to_numpy()] = True
            keep &= k2
    if wv is not None:
        wm = ~np.isfinite(wv)
        if wm.any():
            reasons["weights"] = int(wm.sum())
        keep &= ~wm
    if cv is not None:
        cm = pd.isna(cv)
        if np.any(cm):
            reasons["cluster"] = int(np.sum(cm))
        keep &= ~cm
    for g, v in gv.items():
        gm = pd.isna(v)
        if np.any(gm):
            reasons[f"grouping factor {g!r}"] = int(np.sum(gm))
        keep &= ~gm
    n_dropped = int(n_all - keep.sum())
    infos = [loc_info] + [e.design_info for e in (nom, sca) if e is not None]
    if n_dropped:
        for info in infos:
            for fac in info.factor_infos:
                nm = fac.name()
                if nm in df.columns and nm != lhs:
                    c = int(df[nm].isna().sum())
                    if c:
                        reasons[f"{nm!r}"] = c
        warnings.warn(
            f"dropped {n_dropped} of {n_all} rows with missing values (listwise): "
            + ", ".join(f"{k}: {v}" for k, v in reasons.items()),
            OrdinalWarning,
            stacklevel=stacklevel,
        )
    if keep.sum() == 0:
        raise OrdinalModelError("no complete rows left after dropping missing values")
    all_kept = bool(keep.all())
    kidx = np.flatnonzero(keep)

    def sub(frame: pd.DataFrame) -> pd.DataFrame:
        if len(frame) == len(kidx) and all_kept:
            return frame
        return frame.loc[kidx]

    loc = sub(loc)
    y = y_raw if all_kept else y_raw.iloc[kidx]
    y, unused = _prep_outcome(y, lhs)
    if unused:
        warnings.warn(
            f"outcome {lhs!r}: level(s) {', '.join(repr(u) for u in unused)} chosen by nobody "
            "in the estimation sample; dropped (no threshold can be estimated for them)",
            OrdinalWarning,
            stacklevel=stacklevel,
        )
    n_levels = len(y.cat.categories)
    if n_levels < 2:
        raise OrdinalModelError(
            f"outcome {lhs!r} has fewer than two observed levels "
            f"({list(y.cat.categories)}): nothing to model"
        )
    loc_cols = [c for c in loc.columns if c != "Intercept"]
    nom_cols: list[str] = []
    if nom is not None:
        nom = sub(nom)
        nom_cols = [c for c in nom.columns if c != "Intercept"]
        # a term in both parts: the location column is aliased (clm drops it)
        loc_cols = [c for c in loc_cols if c not in nom_cols]
    sca_cols: list[str] = []
    if sca is not None:
        sca = sub(sca)
        sca_cols = [c for c in sca.columns if c != "Intercept"]
        if not sca_cols:
            raise OrdinalModelError(f"scale={scale!r} has no terms")
    aliased: list[str] = []
    if drop_aliased:
        both = loc[loc_cols].to_numpy(dtype=float) if loc_cols else np.empty((len(y), 0))
        if nom_cols:
            both = np.hstack([nom[nom_cols].to_numpy(dtype=float), both])
        names_all = nom_cols + loc_cols
        gone = {names_all[i] for i in _aliased_columns(both)}
        aliased = [c for c in names_all if c in gone]
        nom_cols = [c for c in nom_cols if c not in gone]
        loc_cols = [c for c in loc_cols if c not in gone]
    X = loc[loc_cols] if loc_cols else None
    Z = nom[nom_cols] if nom_cols else None
    S = sca[sca_cols] if sca_cols else None
    Xa = X.to_numpy(dtype=float) if X is not None else np.empty((len(y), 0))
    Za = Z.to_numpy(dtype=float) if Z is not None else np.empty((len(y), 0))
    Sa = S.to_numpy(dtype=float) if S is not None else np.empty((len(y), 0))
    if not (np.all(np.isfinite(Xa)) and np.all(np.isfinite(Za)) and np.all(np.isfinite(Sa))):
        raise OrdinalModelError("a predictor has infinite values")
    k = len(loc_cols) + (n_levels - 1) * (1 + len(nom_cols)) + len(sca_cols)
    if len(y) <= k:
        raise OrdinalModelError(
            f"too few observations: {len(y)} rows for {k} parameters (need more rows than "
            "parameters); simplify the model or get more data"
        )
    _collinearity(np.hstack([Xa, Za]) if Za.shape[1] else Xa, loc_cols + nom_cols)
    if Sa.shape[1]:
        _collinearity(Sa, sca_cols)
    del Xa, Za, Sa
    w = None
    if wv is not None:
        w = wv if all_kept else wv[kidx]
        bad = np.flatnonzero(~(w > 0))
        if bad.size:
            row = data.index[kidx[bad[0]]]
            raise OrdinalModelError(
                f"weights must be positive: row {row!r} has weight {float(w[bad[0]])!r} ({bad.size} such rows)"
            )
    c = None if cv is None else (cv if all_kept else cv[kidx])
    if c is not None and len(pd.unique(c)) < 2:
        raise OrdinalModelError("cluster needs at least two distinct clusters")
    groups_kept = {g: (v if all_kept else v[kidx]) for g, v in gv.items()}
    y = y.rename(lhs)
    term_cols = _term_columns(loc_info)
    col_idx = {c: i for i, c in enumerate(loc_cols)}
    term_columns = {
        t: [col_idx[loc_info.column_names[i]] for i in cols if loc_info.column_names[i] in col_idx]
        for t, cols in term_cols.items()
    }
    term_columns = {t: v for t, v in term_columns.items() if v}
    discrete = _discrete_columns(
        [(loc_info, loc_cols), (nom.design_info if nom is not None else None, nom_cols)]
    )
    # keep only the columns the formulas name (refits and predictions need them; the rest of
    # the frame, e.g. free text, does not travel with the results)
    text = " ".join(
        str(t) for t in (formula, nominal, scale, *groups,
                         weights if isinstance(weights, str) else None,
                         cluster if isinstance(cluster, str) else None) if t
    )
    used = [c for c in data.columns if str(c) in text]
    kept = data if all_kept else data.iloc[kidx]
    spec = {
        "formula": formula,
        "data": kept[used] if len(used) < data.shape[1] else kept,
        "env": env,
        "loc_info": loc_info,
        "loc_cols": loc_cols,
        "nom_info": nom.design_info if nom is not None else None,
        "nom_cols": nom_cols,
        "sca_info": sca.design_info if sca is not None else None,
        "sca_cols": sca_cols,
        "loc_terms": [t for t in term_columns if not any(t == nt for nt in nom_terms)],
        "nominal_terms": nom_terms,
        "nominal": nominal,
        "scale": scale,
        "scale_terms": [t for t in sca.design_info.term_names if t != "Intercept"]
        if sca is not None
        else [],
        "term_columns": term_columns,
        "discrete": discrete,
        "aliased": aliased,
    }
    return OrdinalDesign(
        y=y, X=X, Z=Z, S=S, weights=w, cluster=c, groups=groups_kept,
        n_dropped=n_dropped, dropped_levels=unused, spec=spec,
    )
