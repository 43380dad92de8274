"""The report layer: what a reader sees, in Italian or English.

Statistics (:mod:`analysis.stats`, :mod:`analysis.models`) return numbers; this package turns
them into words, reader tables, figure captions and alt text, and the key findings:

- :mod:`~analysis.present.messages`: the message catalogue (``messages.yaml``, it/en);
- :mod:`~analysis.present.numbers`: numbers, percentages, p-values and dates by locale (Babel).

Notebooks import it (through the notebook kit); the statistics never do.
"""

from analysis.present.chapter import Chapter
from analysis.present.messages import t, tn
from analysis.present.numbers import (
    fmt_ci,
    fmt_date,
    fmt_int,
    fmt_number,
    fmt_p,
    fmt_pct,
    fmt_ratio,
)

__all__ = [
    "Chapter", "t", "tn", "fmt_ci", "fmt_date", "fmt_int", "fmt_number", "fmt_p", "fmt_pct", "fmt_ratio"]
