"""Drift statistics on small frames: pure functions of counts, so they can be checked by hand.

- **Population stability index** (PSI) of a categorical mix: Σ (aᵢ − eᵢ) · ln(aᵢ / eᵢ) over the
  categories of either side, shares floored at ``epsilon`` so a new or vanished category counts
  heavily but finitely. Rule of thumb: below 0.1 stable, 0.1–0.25 moderate, above 0.25 major.
- **Jensen–Shannon divergence** of two token distributions, base 2: symmetric, 0 for identical
  distributions and 1 for distributions with no token in common.
- **Relative change** of a level (repairs per day): recent / reference − 1.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping

PSI_EPSILON = 1e-4
_WORD = re.compile(r"[a-z][a-z0-9]+")


def shares(counts: Mapping[str, float]) -> dict[str, float]:
    """Counts → shares summing to 1 (empty when there is nothing to count)."""
    total = float(sum(counts.values()))
    if total <= 0:
        return {}
    return {key: value / total for key, value in counts.items() if value > 0}


def psi(
    expected: Mapping[str, float], actual: Mapping[str, float], epsilon: float = PSI_EPSILON
) -> float:
    """Population stability index of ``actual`` against ``expected`` (both counts or shares)."""
    e, a = shares(expected), shares(actual)
    if not e or not a:
        return float("nan")
    total = 0.0
    for key in set(e) | set(a):
        ei, ai = max(e.get(key, 0.0), epsilon), max(a.get(key, 0.0), epsilon)
        total += (ai - ei) * math.log(ai / ei)
    return total


def js_divergence(p: Mapping[str, float], q: Mapping[str, float]) -> float:
    """Jensen–Shannon divergence (base 2, in [0, 1]) of two distributions given as counts."""
    ps, qs = shares(p), shares(q)
    if not ps or not qs:
        return float("nan")
    total = 0.0
    for key in set(ps) | set(qs):
        pi, qi = ps.get(key, 0.0), qs.get(key, 0.0)
        mi = (pi + qi) / 2
        if pi > 0:
            total += 0.5 * pi * math.log2(pi / mi)
        if qi > 0:
            total += 0.5 * qi * math.log2(qi / mi)
    return min(max(total, 0.0), 1.0)


def relative_change(reference: float, recent: float) -> float:
    """recent / reference − 1 (NaN when the reference level is zero)."""
    return float("nan") if reference == 0 else recent / reference - 1


def token_counts(texts: Iterable[str | None], normalise=None) -> Counter[str]:
    """Word counts over texts: lowercase words of two or more characters, after ``normalise``
    (the diagnostics text normaliser, so shorthand and translations count as the model sees
    them)."""
    counts: Counter[str] = Counter()
    for text in texts:
        if not text:
            continue
        counts.update(_WORD.findall((normalise(text) if normalise else text).lower()))
    return counts


def top_movers(
    reference: Mapping[str, float], recent: Mapping[str, float], n: int = 5
) -> list[tuple[str, float]]:
    """The ``n`` keys whose share moved most (recent share − reference share), largest first."""
    r, q = shares(reference), shares(recent)
    moves = {key: q.get(key, 0.0) - r.get(key, 0.0) for key in set(r) | set(q)}
    return sorted(moves.items(), key=lambda item: (-abs(item[1]), item[0]))[:n]
