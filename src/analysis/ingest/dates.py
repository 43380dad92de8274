"""Submission times as written by any survey tool, never silently misread.

Step *dates* of the ingest pipeline (see :mod:`analysis.ingest`): turns the timestamp column of
an export into ``datetime64`` values and a list of problems.

Forms understood, per cell:

- Italian Google Forms / Sheets ``16/03/2020 8.00.12`` (day first; the ``.`` between hours and
  minutes is written only by day-first locales, so it settles the order);
- English-interface Google Forms ``2020/03/16 8:00:12 AM GMT+1`` (year first, 12-hour clock,
  GMT offset); US / UK Google Sheets ``3/16/2020 8:00:12`` / ``16/03/2020 08:00:12``;
- Microsoft Forms (a date cell of the workbook, or text such as ``3/16/2020 8:00:12 AM``);
- ISO 8601 ``2020-03-16T08:00:12+01:00`` / ``2020-03-16 08:00:12`` (Qualtrics, LimeSurvey);
- Excel serial numbers (``43906.3334``: days since 1899-12-30), from a sheet saved without a
  date format.

A time zone offset (``GMT+1``, ``+01:00``, ``Z``) is dropped: the clock time as the respondent's
tool wrote it is kept, as Italian exports (which carry no offset) do.

Day-first or month-first is decided **for the whole column**, never cell by cell:

1. a cell whose first field is above 12 means day-first; one whose second field is above 12
   means month-first; both kinds in one column is an error (the column mixes two orders);
2. a ``.`` time separator means a day-first locale;
3. otherwise, where both orders are possible and give different dates, ``date_order``
   (``"dmy"`` / ``"mdy"``, the ``--date-order`` option) decides;
4. otherwise the year's fieldwork dates in the codebook (``metadata.fieldwork``) decide when
   exactly one order puts every date inside them;
5. otherwise the column is *ambiguous*: one error naming the column and asking for
   ``--date-order dmy|mdy``, and no date of the column is used.

Vectorised: one regular expression over the column, arithmetic on whole columns.

Examples
--------
>>> import pandas as pd
>>> parse_timestamps(pd.Series(["12/03/2020 10.22.31", "ieri"])).tolist()
[Timestamp('2020-03-12 10:22:31'), NaT]
>>> parse_timestamps(pd.Series(["2020/03/16 8:00:12 PM GMT+1"])).tolist()
[Timestamp('2020-03-16 20:00:12')]
>>> r = parse_dates(pd.Series(["3/4/2020 8:00:12", "3/5/2020 9:00:00"]), column="Timestamp")
>>> print(r.problems[0][1])  # doctest: +ELLIPSIS
dates in column "Timestamp" can be read day-first (3/4/2020 = 3 April 2020) or month-first ...
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analysis.errors import SurveyUsageError

__all__ = ["DateOrder", "ParsedDates", "parse_dates", "parse_timestamps", "DATE_ORDERS", "EXAMPLE"]

DateOrder = Literal["dmy", "mdy"]
DATE_ORDERS: tuple[str, ...] = ("dmy", "mdy")
#: How a valid timestamp looks, for messages.
EXAMPLE = "16/03/2020 8.00.12, 2020/03/16 8:00:12 AM GMT+1 or 2020-03-16 08:00:12"

_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"]

_PATTERN = (
    r"^\s*(?:(?P<y1>\d{4})[-/.](?P<m1>\d{1,2})[-/.](?P<d1>\d{1,2})"
    r"|(?P<a>\d{1,2})[-/.](?P<b>\d{1,2})[-/.](?P<y2>\d{4}|\d{2}))"
    r"(?:(?:T|,?\s+)(?P<H>\d{1,2})(?P<sep>[:.])(?P<M>\d{2})(?:[:.](?P<S>\d{2})(?:[.,](?P<f>\d{1,9}))?)?"
    r"\s*(?P<ampm>[AaPp]\.?\s?[Mm]\.?)?)?"
    r"\s*(?:Z|(?:GMT|UTC)?\s*[+-]\d{1,2}(?::?\d{2})?|GMT|UTC)?\s*$"
)
_SERIAL = r"^\s*(?P<serial>\d{5}(?:[.,]\d+)?)\s*$"
_EXCEL_EPOCH = np.datetime64("1899-12-30T00:00:00", "ns")
_SERIAL_RANGE = (25569.0, 73051.0)  # 1970-01-01 .. 2099-12-31


@dataclass
class ParsedDates:
    """Result of :func:`parse_dates`.

    Attributes
    ----------
    values : Series of datetime64[ns]
        ``NaT`` where a cell is empty or not a date (or the whole column is ambiguous).
    order : str or None
        ``"dmy"``, ``"mdy"`` or None (no cell needed an order), as decided for the column.
    reason : str
        Why that order (for messages and the data-quality summary).
    problems : list of (severity, message)
        Whole-column problems (an ambiguous column, two orders mixed).
    unreadable : Series of bool
        Non-empty cells that are not a date in the decided order (each one an error to report).
    """

    values: pd.Series
    order: str | None = None
    reason: str = ""
    problems: list[tuple[str, str]] = field(default_factory=list)
    unreadable: pd.Series | None = None


def _fmt(d: int, m: int, y: int) -> str:
    return f"{d} {_MONTHS[m - 1]} {y}" if 1 <= m <= 12 else "no date"


def parse_dates(
    values: pd.Series,
    *,
    column: str = "timestamp",
    date_order: str | None = None,
    fieldwork: tuple[Any, Any] | None = None,
) -> ParsedDates:
    """Parse a column of submission times, deciding day/month order for the whole column.

    Parameters
    ----------
    values : Series
        Text, ``datetime`` objects (a workbook's date cells) or Excel serial numbers.
    column : str
        Header shown in messages.
    date_order : {"dmy", "mdy"}, optional
        Order of ``a/b/yyyy`` dates when the column itself does not settle it.
    fieldwork : (start, end), optional
        Fieldwork dates (inclusive) that may settle an ambiguous column.

    Returns
    -------
    ParsedDates

    Examples
    --------
    >>> s = pd.Series(["3/16/2020 8:00:12", "4/1/2020 9:10:00"])
    >>> parse_dates(s).values.dt.strftime("%Y-%m-%d").tolist()
    ['2020-03-16', '2020-04-01']
    >>> r = parse_dates(pd.Series(["3/4/2020 8:00"]), fieldwork=("2020-03-01", "2020-03-31"))
    >>> r.order, r.values[0]
    ('mdy', Timestamp('2020-03-04 08:00:00'))
    """
    if date_order is not None and date_order not in DATE_ORDERS:
        raise SurveyUsageError(f"date order must be 'dmy' (day first) or 'mdy' (month first), not {date_order!r}")
    idx = values.index
    out = np.full(len(values), np.datetime64("NaT"), dtype="datetime64[ns]")
    result = ParsedDates(pd.Series(out, index=idx), unreadable=pd.Series(False, index=idx))
    if values.empty:
        return result
    present = values.notna().to_numpy()
    # datetime objects and numbers (workbooks, SPSS)
    if isinstance(values.dtype, pd.StringDtype) or values.dtype == object:
        kinds = values.map(_kind, na_action="ignore") if values.dtype == object else None
    else:
        kinds = pd.Series("number" if pd.api.types.is_numeric_dtype(values) else "datetime", index=idx)
        if pd.api.types.is_datetime64_any_dtype(values):
            kinds = pd.Series("datetime", index=idx)
    if kinds is not None:
        is_dt = (kinds == "datetime").to_numpy() & present
        if is_dt.any():
            conv = pd.to_datetime(values[is_dt], errors="coerce")
            if getattr(conv.dt, "tz", None) is not None:
                conv = conv.dt.tz_localize(None)
            conv = conv.where((conv >= pd.Timestamp("1900-01-01")) & (conv < pd.Timestamp("2200-01-01")))
            out[is_dt] = conv.astype("datetime64[ns]").to_numpy()
        is_num = (kinds == "number").to_numpy() & present
        if is_num.any():
            out[is_num] = _serial(pd.to_numeric(values[is_num], errors="coerce").to_numpy(dtype=float))
        text_mask = present & ~is_dt & ~is_num
    else:
        text_mask = present
    text = values[text_mask].astype("string").str.strip()
    text = text[text.ne("")]
    if not text.empty:
        _parse_text(text, out, result, column, date_order, fieldwork, idx)
    result.values = pd.Series(out, index=idx)
    unread = present & np.isnat(out)
    blank = values.astype("string").str.strip().eq("").fillna(False).to_numpy(dtype=bool)
    unread &= ~blank
    if any(sev == "error" for sev, _ in result.problems):
        # an ambiguous or mixed column: one message, no per-cell errors for cells that look like dates
        unread &= ~_looks_like_date(values, idx)
    result.unreadable = pd.Series(unread, index=idx)
    return result


def _kind(v: Any) -> str:
    if isinstance(v, (dt.datetime, dt.date, pd.Timestamp, np.datetime64)):
        return "datetime"
    if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
        return "number"
    return "text"


def _serial(x: np.ndarray) -> np.ndarray:
    ok = (x >= _SERIAL_RANGE[0]) & (x <= _SERIAL_RANGE[1])
    out = np.full(len(x), np.datetime64("NaT"), dtype="datetime64[ns]")
    # round to the second, as the sheet shows it
    secs = np.round(np.where(ok, x, 0.0) * 86400.0).astype("int64")
    out[ok] = _EXCEL_EPOCH + secs[ok].astype("timedelta64[s]").astype("timedelta64[ns]")
    return out


def _looks_like_date(values: pd.Series, idx: pd.Index) -> np.ndarray:
    s = values.astype("string").str.strip()
    return s.str.match(_PATTERN).fillna(False).to_numpy(dtype=bool)


def _extract(text: pd.Series, pattern: str) -> dict[str, np.ndarray]:
    """Named groups of ``pattern`` per cell (Arrow's vectorised RE2); ``""`` where absent or no match."""
    arr = pa.array(text.to_numpy(dtype=object, na_value=None), type=pa.string())
    st = pc.extract_regex(arr, pattern)
    out = {}
    for i in range(st.type.num_fields):
        name = st.type.field(i).name
        col = pc.fill_null(pc.struct_field(st, [i]), "")
        out[name] = col
    return out


def _ints(col: pa.Array) -> np.ndarray:
    col = pc.if_else(pc.equal(col, ""), pa.scalar(None, pa.string()), col)
    return pc.fill_null(pc.cast(col, pa.int64()), -1).to_numpy(zero_copy_only=False)


def _parse_text(text, out, result, column, date_order, fieldwork, idx) -> None:
    pos = idx.get_indexer(text.index)
    serial = _extract(text, _SERIAL)["serial"]
    is_serial = pc.not_equal(serial, "").to_numpy(zero_copy_only=False)
    if is_serial.any():
        nums = pc.cast(pc.replace_substring(serial.filter(pa.array(is_serial)), ",", "."), pa.float64())
        out[pos[is_serial]] = _serial(nums.to_numpy(zero_copy_only=False))
    text = text[~is_serial]
    pos = pos[~is_serial]
    if text.empty:
        return
    m = _extract(text, _PATTERN)
    hour = np.maximum(_ints(m["H"]), 0)
    ampm = pc.utf8_slice_codeunits(pc.utf8_lower(m["ampm"]), 0, 1).to_numpy(zero_copy_only=False)
    is_pm, is_am = ampm == "p", ampm == "a"
    bad_12h = (is_pm | is_am) & ((hour < 1) | (hour > 12))
    hour = np.where(is_pm & (hour < 12), hour + 12, np.where(is_am & (hour == 12), 0, hour))
    minute = np.maximum(_ints(m["M"]), 0)
    second = np.maximum(_ints(m["S"]), 0)
    frac = pc.utf8_slice_codeunits(pc.utf8_rpad(m["f"], 9, "0"), 0, 9)
    nanos = np.maximum(_ints(frac), 0)

    y1 = _ints(m["y1"])
    year_first = y1 >= 0
    a, b, y2 = _ints(m["a"]), _ints(m["b"]), _ints(m["y2"])
    y2 = np.where((y2 >= 0) & (y2 < 100), y2 + 2000, y2)
    slash = a >= 0
    dot = pc.equal(m["sep"], ".").to_numpy(zero_copy_only=False)

    order = _decide(text, dot, a, b, y2, slash, column, date_order, fieldwork, result)
    if order == "ambiguous":
        slash_ok = np.zeros(len(text), dtype=bool)
        day, month = a, b
    else:
        day, month = (a, b) if order in ("dmy", None) else (b, a)
        slash_ok = slash
    year = np.where(year_first, y1, np.where(slash_ok, y2, -1))
    month = np.where(year_first, _ints(m["m1"]), month)
    day = np.where(year_first, _ints(m["d1"]), day)
    usable = (year >= 0) & ~bad_12h
    stamps = _build(year, month, day, hour, minute, second, nanos, usable)
    out[pos] = stamps


def _build(year, month, day, hour, minute, second, nanos, usable) -> np.ndarray:
    n = len(year)
    res = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    if not usable.any():
        return res
    frame = pd.DataFrame(
        {"year": year[usable], "month": month[usable], "day": day[usable], "hour": hour[usable],
         "minute": minute[usable], "second": second[usable]}
    )
    valid = (
        frame["year"].between(1900, 2199) & frame["month"].between(1, 12) & frame["day"].between(1, 31) & frame["hour"].between(0, 23)
        & frame["minute"].between(0, 59) & frame["second"].between(0, 59)
    ).to_numpy()
    stamps = np.full(len(frame), np.datetime64("NaT"), dtype="datetime64[ns]")
    if valid.any():
        got = pd.to_datetime(frame[valid], errors="coerce").to_numpy(dtype="datetime64[ns]")
        stamps[valid] = got + nanos[usable][valid].astype("timedelta64[ns]")
    res[usable] = stamps
    return res


def _decide(text, dot, a, b, y, slash, column, date_order, fieldwork, result) -> str | None:
    """The day/month order of the column's ``a/b/yyyy`` cells (see the module docstring)."""
    if not slash.any():
        return None
    rows = text.index
    first_big = slash & (a > 12)
    second_big = slash & (b > 12)
    if first_big.any() and second_big.any():
        i, j = int(np.flatnonzero(first_big)[0]), int(np.flatnonzero(second_big)[0])
        result.problems.append(
            ("error",
             f'column "{column}" mixes day-first dates (row {rows[i]}: "{text.iat[i]}") and month-first dates '
             f'(row {rows[j]}: "{text.iat[j]}"): one column must use one order; fix the file (or export it again '
             "with one locale)")
        )
        return "ambiguous"
    if date_order is not None:
        result.reason = f"--date-order {date_order}"
        result.order = date_order
        return date_order
    if first_big.any() or second_big.any():
        order = "dmy" if first_big.any() else "mdy"
        i = int(np.flatnonzero(first_big if order == "dmy" else second_big)[0])
        result.order = order
        result.reason = f'row {rows[i]} ("{text.iat[i]}") can only be {"day" if order == "dmy" else "month"}-first'
        return order
    dot = dot & slash
    if dot.any():
        result.order = "dmy"
        result.reason = "the time is written with dots (8.00.12), as day-first locales write it"
        return "dmy"
    differs = slash & (a != b)
    if not differs.any():
        result.order = "dmy"
        result.reason = "day and month are equal on every row"
        return "dmy"
    if fieldwork is not None:
        start = pd.Timestamp(fieldwork[0]).normalize()
        end = pd.Timestamp(fieldwork[1]).normalize() + pd.Timedelta(days=1)
        fits = {}
        for order, (d, mo) in {"dmy": (a, b), "mdy": (b, a)}.items():
            days = _build(y, mo, d, np.zeros_like(a), np.zeros_like(a), np.zeros_like(a), np.zeros_like(a), slash)
            ok = ~np.isnat(days[slash])
            inside = (days[slash] >= start.to_datetime64()) & (days[slash] < end.to_datetime64())
            fits[order] = bool(ok.all() and inside.all())
        if fits["dmy"] != fits["mdy"]:
            order = "dmy" if fits["dmy"] else "mdy"
            result.order = order
            result.reason = (
                f"only {'day' if order == 'dmy' else 'month'}-first dates fall within the fieldwork "
                f"{start.date()}–{(end - pd.Timedelta(days=1)).date()} of the codebook"
            )
            return order
    i = int(np.flatnonzero(differs)[0])
    ai, bi, yi = int(a[i]), int(b[i]), int(y[i])
    hint = (
        " (the codebook's fieldwork dates did not decide it)" if fieldwork is not None
        else " (no fieldwork dates for this year in the codebook to decide it)"
    )
    result.problems.append(
        ("error",
         f'dates in column "{column}" can be read day-first ({ai}/{bi}/{yi} = {_fmt(ai, bi, yi)}) or month-first '
         f"({_fmt(bi, ai, yi)}): no day above 12 settles it{hint}; give the order with --date-order dmy "
         "(day/month/year) or --date-order mdy (month/day/year)")
    )
    return "ambiguous"


def parse_timestamps(values: pd.Series, date_order: str | None = None) -> pd.Series:
    """Parse submission times (any form of the module docstring); ``NaT`` where not a date.

    A shortcut for ``parse_dates(values, date_order=...).values``.

    Examples
    --------
    >>> parse_timestamps(pd.Series(["2020-03-16T08:00:12Z", "43906.5"])).tolist()
    [Timestamp('2020-03-16 08:00:12'), Timestamp('2020-03-16 12:00:00')]
    """
    return parse_dates(values, date_order=date_order).values


def fieldwork_for(metadata: dict[str, Any], year: int) -> tuple[Any, Any] | None:
    """The codebook's fieldwork dates of ``year`` (``metadata.fieldwork.YEAR: [start, end]``), if any.

    Examples
    --------
    >>> fieldwork_for({"fieldwork": {2020: ["2020-03-01", "2020-04-30"]}}, 2020)
    ('2020-03-01', '2020-04-30')
    """
    table = (metadata or {}).get("fieldwork") or {}
    span: Sequence[Any] | None = table.get(year, table.get(str(year)))
    if not span or len(span) != 2:
        return None
    return span[0], span[1]
