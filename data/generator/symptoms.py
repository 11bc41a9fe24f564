"""Symptom descriptions as customers write them, composed from the phrase vocabularies in
``vocabulary/``: a fault-specific phrase (several per fault, customer-speak), sometimes a device
mention, a second symptom, a greeting or a plea, shorthand, odd casing and typos.

The text describes ``text_fault``: the true fault, or for misleading descriptions a confusable one
(visits.py decides which); vague texts use phrases that name no specific symptom.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from pathlib import Path

import numpy as np
import polars as pl

from data import reference
from data.generator.catalogue import Catalogue
from ops.schema import DEVICE_CATEGORIES

VOCABULARY_DIR = Path(__file__).parent / "vocabulary"
PLACEHOLDER = "{device}"

SECOND_SYMPTOM_RATE = 0.12
DEVICE_MENTION_RATE = 0.35  # for phrases without a {device} placeholder
OPENER_RATE = 0.12
CLOSER_RATE = 0.25
SHORTHAND_RATE = 0.30
TYPO_RATE_PER_WORD = 0.03
CASING = {"lower": 0.62, "sentence": 0.33, "upper": 0.05}

SHORTHAND = {
    "please": "pls",
    " with ": " w/ ",
    "before": "b4",
    " you ": " u ",
    "because": "bc",
    "doesn't": "doesnt",
    "won't": "wont",
    "can't": "cant",
    "don't": "dont",
    "really": "rly",
    "battery": "batt",
    "minutes": "mins",
    "thanks": "thx",
    " and ": " n ",
    "screen": "scrn",
}
CATEGORY_WORDS = {
    "phone": ("phone", "mobile"),
    "tablet": ("tablet", "tab"),
    "laptop": ("laptop", "notebook"),
    "game_console": ("console", "controller"),
    "smartwatch": ("watch", "smartwatch"),
}
_NICKNAMES = (("playstation portal", "ps portal"), ("playstation ", "ps"))


@cache
def symptom_vocabulary() -> pl.DataFrame:
    """One row per phrase: fault_code, categories (``*`` or ``|``-separated), phrase."""
    return pl.read_csv(VOCABULARY_DIR / "symptoms.csv", schema={
        "fault_code": pl.String, "categories": pl.String, "phrase": pl.String,
    })  # fmt: skip


@cache
def phrases(kind: str) -> tuple[str, ...]:
    """Connective phrases of one kind from phrases.csv: vague, opener, connector, closer, rework."""
    table = pl.read_csv(
        VOCABULARY_DIR / "phrases.csv", schema={"kind": pl.String, "text": pl.String}
    )
    return tuple(table.filter(pl.col("kind") == kind)["text"])


def symptom_texts(
    rng: np.random.Generator,
    catalogue: Catalogue,
    text_fault: np.ndarray,
    vague: np.ndarray,
    model: np.ndarray,
    is_rework: np.ndarray,
) -> pl.Series:
    """One description per visit."""
    n = len(text_fault)
    category = catalogue.model_category[model]
    table = _PhraseTable.build(catalogue.fault_codes)
    main_index = table.sample(rng, text_fault, category)
    second_index = table.sample_any(rng, category)
    has_second = (rng.random(n) < SECOND_SYMPTOM_RATE) & ~vague & (second_index != main_index)
    main = table.texts.gather(main_index)
    main = main.scatter(np.flatnonzero(vague), _pick(rng, phrases("vague"), int(vague.sum())))
    has_placeholder = main.str.contains(PLACEHOLDER, literal=True).to_numpy()

    mentions = _device_mentions(catalogue)
    option = rng.integers(mentions.shape[1], size=n)
    mention = pl.Series(mentions.ravel().tolist(), dtype=pl.String).gather(
        model * mentions.shape[1] + option
    )
    prefixed = (rng.random(n) < DEVICE_MENTION_RATE) & ~has_placeholder & ~vague
    style = np.where(prefixed, rng.integers(0, len(_MENTION_STYLES), n), len(_MENTION_STYLES))
    before = pl.Series([b for b, _ in _MENTION_STYLES] + [""]).gather(style)
    after = pl.Series([a for _, a in _MENTION_STYLES] + [""]).gather(style)

    frame = pl.DataFrame(
        {
            "opener": _pick_some(rng, phrases("opener"), rng.random(n) < OPENER_RATE),
            "rework": _pick_some(rng, phrases("rework"), is_rework),
            "before": before,
            "prefix_mention": mention.clone().scatter(np.flatnonzero(~prefixed), ""),
            "after": after,
            "main": main,
            "mention": mention,
            "connector": _pick_some(rng, phrases("connector"), has_second),
            "second": table.texts.gather(second_index).scatter(np.flatnonzero(~has_second), ""),
            "closer": _pick_some(rng, phrases("closer"), rng.random(n) < CLOSER_RATE),
        }
    )
    col = pl.col
    texts = frame.select(
        pl.concat_str(
            "opener",
            "rework",
            "before",
            "prefix_mention",
            "after",
            col("main").str.replace(PLACEHOLDER, col("mention"), literal=True),
            "connector",
            col("second").str.replace(PLACEHOLDER, col("mention"), literal=True),
            "closer",
        )
    ).to_series()
    texts = _apply_to(
        texts, rng.random(n) < SHORTHAND_RATE, lambda t: t.str.replace_many(SHORTHAND)
    )
    casing = rng.choice(len(CASING), size=n, p=list(CASING.values()))
    texts = _apply_to(
        texts, casing == 1, lambda t: t.str.slice(0, 1).str.to_uppercase() + t.str.slice(1)
    )
    texts = _apply_to(texts, casing == 2, lambda t: t.str.to_uppercase())
    return _with_typos(rng, texts).alias("symptoms")


_MENTION_STYLES = (("", " "), ("my ", " "), ("", ": "), ("", " - "))  # before, after the device


def _apply_to(
    texts: pl.Series, rows: np.ndarray, change: Callable[[pl.Series], pl.Series]
) -> pl.Series:
    """``texts`` with ``change`` applied to the selected rows only."""
    index = np.flatnonzero(rows)
    return texts.scatter(index, change(texts.gather(index))) if index.size else texts


class _PhraseTable:
    """Phrases flattened per (fault, category) for vectorised sampling."""

    def __init__(
        self,
        texts: pl.Series,
        index: np.ndarray,
        start: np.ndarray,
        count: np.ndarray,
        category_index: np.ndarray,
        category_start: np.ndarray,
        category_count: np.ndarray,
    ) -> None:
        self.texts = texts
        self._index, self._start, self._count = index, start, count
        self._category_index = category_index
        self._category_start, self._category_count = category_start, category_count

    @classmethod
    @cache
    def build(cls, fault_codes: tuple[str, ...]) -> _PhraseTable:
        vocabulary = symptom_vocabulary()
        texts = vocabulary["phrase"]
        faults = vocabulary["fault_code"].to_list()
        categories = [c.split("|") for c in vocabulary["categories"]]
        n_faults, n_categories = len(fault_codes), len(DEVICE_CATEGORIES)
        index, start = [], np.zeros((n_faults, n_categories), np.int64)
        count = np.zeros((n_faults, n_categories), np.int64)
        category_index, category_start = [], np.zeros(n_categories, np.int64)
        category_count = np.zeros(n_categories, np.int64)
        allowed = set(
            zip(
                reference.fault_categories()["code"],
                reference.fault_categories()["category"],
                strict=True,
            )
        )
        for c, category in enumerate(DEVICE_CATEGORIES):
            fits = [
                i
                for i, cats in enumerate(categories)
                if ("*" in cats or category in cats) and (faults[i], category) in allowed
            ]
            category_start[c], category_count[c] = len(category_index), len(fits)
            category_index.extend(fits)
            for f, code in enumerate(fault_codes):
                rows = [i for i in fits if faults[i] == code]
                start[f, c], count[f, c] = len(index), len(rows)
                index.extend(rows)
        return cls(texts, np.array(index), start, count, np.array(category_index),
                   category_start, category_count)  # fmt: skip

    def sample(
        self, rng: np.random.Generator, fault: np.ndarray, category: np.ndarray
    ) -> np.ndarray:
        """A phrase index for each (fault, category); faults without a phrase for the category
        (none in the shipped vocabulary) would fall back to any phrase of the category."""
        count = self._count[fault, category]
        draw = (rng.random(len(fault)) * np.maximum(count, 1)).astype(np.int64)
        chosen = self._index[np.minimum(self._start[fault, category] + draw, len(self._index) - 1)]
        return np.where(count > 0, chosen, self.sample_any(rng, category))

    def sample_any(self, rng: np.random.Generator, category: np.ndarray) -> np.ndarray:
        draw = (rng.random(len(category)) * self._category_count[category]).astype(np.int64)
        return self._category_index[self._category_start[category] + draw]


def _pick(rng: np.random.Generator, options: tuple[str, ...], n: int) -> pl.Series:
    return pl.Series(options, dtype=pl.String).gather(rng.integers(len(options), size=n))


def _pick_some(rng: np.random.Generator, options: tuple[str, ...], rows: np.ndarray) -> pl.Series:
    """A random option for the selected rows, an empty string elsewhere."""
    index = np.where(rows, rng.integers(len(options), size=len(rows)), len(options))
    return pl.Series([*options, ""], dtype=pl.String).gather(index)


def _with_typos(rng: np.random.Generator, texts: pl.Series) -> pl.Series:
    """Swap, drop or double a character at about TYPO_RATE_PER_WORD of the words (at most two
    per text), at positions away from the first and last character."""
    words = texts.str.count_matches(" ").to_numpy() + 1
    typos = np.minimum(rng.binomial(words, TYPO_RATE_PER_WORD), 2)
    for round_ in (1, 2):
        rows = np.flatnonzero(typos >= round_)
        if rows.size == 0:
            break
        chosen = texts.gather(rows)
        length = chosen.str.len_chars().to_numpy()
        frame = pl.DataFrame(
            {
                "text": chosen,
                "at": (1 + rng.random(rows.size) * np.maximum(length - 3, 1)).astype(np.int64),
                "op": rng.integers(0, 3, rows.size),
                "short": length < 6,
            }
        )
        col = pl.col
        head, here = col("text").str.slice(0, col("at")), col("text").str.slice(col("at"), 1)
        after, rest = col("text").str.slice(col("at") + 1, 1), col("text").str.slice(col("at") + 2)
        changed = frame.select(
            pl.when(col("short")).then(col("text"))
            .when(col("op") == 0).then(pl.concat_str(head, after, here, rest))  # swap
            .when(col("op") == 1).then(pl.concat_str(head, after, rest))  # drop
            .otherwise(pl.concat_str(head, here, here, after, rest))  # double
        ).to_series()  # fmt: skip
        texts = texts.scatter(rows, changed)
    return texts


@cache
def _device_mentions_cached(models: tuple[tuple[str, str, int], ...]) -> np.ndarray:
    rows = []
    for brand, model, category in models:
        name = re.sub(r"\s*\(.*?\)", "", model).lower().strip()
        for long, short in _NICKNAMES:
            name = name.replace(long, short)
        first_word = name.split()[0] if name else brand.lower()
        words = CATEGORY_WORDS[DEVICE_CATEGORIES[category]]
        rows.append([name, first_word, brand.lower(), words[0], words[1], name])
    return np.array(rows, dtype=object)


def _device_mentions(catalogue: Catalogue) -> np.ndarray:
    """[model, option] ways customers name their device ("iphone 12", "iphone", "phone", ...)."""
    key = tuple(
        zip(
            catalogue.model_brands,
            catalogue.model_names,
            catalogue.model_category.tolist(),
            strict=True,
        )
    )
    return _device_mentions_cached(key)
