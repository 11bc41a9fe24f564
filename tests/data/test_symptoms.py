"""Symptom descriptions read like customers write them, and are not keyword-separable."""

from __future__ import annotations

import re
from collections import Counter

import polars as pl
import pytest

from data import reference
from data.generator.symptoms import phrases, symptom_vocabulary

col = pl.col
STOPWORDS = {
    "the", "a", "and", "it", "i", "my", "on", "in", "to", "is", "of", "not", "when", "but", "at",
    "with", "for", "me", "now", "after", "all", "its", "it's", "can't", "won't", "doesn't", "don't",
}  # fmt: skip


@pytest.fixture(scope="module")
def texts(history: dict[str, pl.DataFrame]) -> pl.DataFrame:
    return history["repairs"].filter(col("fault_code").is_in(list(reference.fault_codes())))


def test_every_fault_has_at_least_fifteen_phrasings():
    counts = symptom_vocabulary().group_by("fault_code").len()
    assert set(counts["fault_code"]) == reference.fault_codes()
    assert counts["len"].min() >= 15


def test_vocabularies_cover_greetings_connectors_pleas_vague_and_rework_wording():
    for kind in ("opener", "connector", "closer", "vague", "rework"):
        assert len(phrases(kind)) >= 5, kind


def test_no_single_word_gives_a_fault_away(texts: pl.DataFrame):
    """For every fault, its most common content word appears in under 60 % of its texts."""
    for fault, group in texts.group_by("fault_code"):
        words = Counter(
            word
            for text in group["reported_symptoms"].str.to_lowercase()
            for word in set(re.findall(r"[a-z']+", text)) - STOPWORDS
        )
        top_word, count = words.most_common(1)[0]
        assert count / group.height < 0.6, (fault, top_word)


def test_texts_mix_shorthand_casing_devices_and_several_symptoms(texts: pl.DataFrame):
    symptoms = texts["reported_symptoms"]

    def share(pattern: str) -> float:
        return symptoms.str.contains(pattern).mean()

    assert share(r"\b(pls|w/|b4|u|bc|thx|batt|scrn|rly)\b") > 0.05
    assert share(r"^[A-Z]") > 0.2
    assert share(r"^[A-Z0-9 ,.!?:'/&+-]+$") > 0.02  # all capitals
    devices = "|".join(
        {b.lower() for b in reference.device_models()["brand"]}
        | {
            "iphone",
            "galaxy",
            "pixel",
            "ps4",
            "ps5",
            "switch",
            "macbook",
            "ipad",
            "xbox",
            "surface",
        }
        | {
            "phone",
            "mobile",
            "laptop",
            "notebook",
            "watch",
            "smartwatch",
            "tablet",
            "tab",
            "console",
        }
    )
    assert share(rf"(?i)\b({devices})\b") > 0.2
    assert share(r"( and also |, also |\. also | \+ |\. plus | & )") > 0.05


def test_descriptions_vary_within_a_fault(texts: pl.DataFrame):
    distinct = texts.group_by("fault_code").agg(
        col("reported_symptoms").n_unique().alias("n"), pl.len()
    )
    assert (
        distinct.filter(col("len") >= 200)["n"] / distinct.filter(col("len") >= 200)["len"]
    ).min() > 0.3


def test_misleading_texts_explain_most_wrong_first_guesses(texts: pl.DataFrame):
    """A wrong first guess usually matches the text better than the true fault does: the desk
    read the customer's words."""
    wrong = texts.filter((col("initial_fault_code") != col("fault_code")) & ~col("is_warranty"))
    assert wrong.height > 100
    assert wrong["initial_fault_code"].n_unique() > 10


def test_every_device_placeholder_is_filled(texts: pl.DataFrame):
    symptoms = texts["reported_symptoms"].str.to_lowercase()
    assert not symptoms.str.contains("{device}", literal=True).any()
    assert not symptoms.str.contains(r"\b(of the|on my|the|my)\s*([.!?,]|$)").any()
