"""How often real intake text names no symptom: the figure to set beside the generator's share.

    .venv/bin/python benchmarks/diagnostics_text_noise.py

Real side: ``models/diagnostics/eval_data/openrepair_text_modes.csv``, 300 OpenRepair laptop and
tablet records drawn at random (polars 2.1 ``DataFrame.sample(n=300, seed=20261128,
shuffle=True)`` over the records with a problem text, laptops then tablets) and labelled by
reading each text, by two labellers working apart with one written rubric, disagreements
settled by a third reading:

- ``vague``: the text names no symptom, part or cause ("not working", "defekt", "Laptop");
- ``consistent``: it names one the recorded fault type could produce;
- ``other``: it names only ones the recorded fault type could not produce;
- ``unjudgeable``: specific, but the recorded type is Unknown, Other, Multiple or Poor data.

OpenRepair's fault types were assigned by volunteers *reading these texts*, so a vague text
cannot carry a specific type, and a text cannot honestly point away from its type: only the
vague share of all texts measures the customers. (Every vague text in the sample is typed
Unknown, Other or Poor data; 3 of 254 typed texts point elsewhere, which are typing slips.)
How often customers describe another fault's symptoms cannot be read from this data.

The generator's planted shares (vague and misleading) are the "share" column of
``diagnostics_ceiling.py``'s table.

Prints a Markdown table of the shares with 95 % Wilson intervals.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models.diagnostics.openrepair import EVAL_DIR  # noqa: E402

LABELS = EVAL_DIR / "openrepair_text_modes.csv"
UNTYPED = {"Unknown", "Other", "Multiple", "Poor data"}


def wilson(hits: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95 % Wilson score interval of a proportion."""
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def real_shares(labels: pl.DataFrame) -> dict[str, tuple[int, int]]:
    """measure → (hits, rows)."""
    typed = labels.filter(~pl.col("fault_type").is_in(sorted(UNTYPED)))
    return {
        "vague, of all texts": (int((labels["label"] == "vague").sum()), labels.height),
        "vague, of texts with a specific fault type": (
            int((typed["label"] == "vague").sum()),
            typed.height,
        ),
        "labellers agreeing": (
            int((labels["labeller_a"] == labels["labeller_b"]).sum()),
            labels.height,
        ),
    }


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    print("| real intake text (OpenRepair sample) | share | 95 % interval | count |")
    print("|---|---:|---:|---:|")
    for measure, (hits, n) in real_shares(pl.read_csv(LABELS)).items():
        low, high = wilson(hits, n)
        print(f"| {measure} | {hits / n:.1%} | {low:.1%}–{high:.1%} | {hits}/{n} |")


if __name__ == "__main__":
    main()
