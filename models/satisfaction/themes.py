"""Recurring themes in short feedback comments.

Two views that work on one-line comments: :func:`comment_themes` groups comments into topics with
TF-IDF (word 1–2-grams) and non-negative matrix factorisation, then says how unhappy each topic's
writers were; :func:`key_phrases` counts phrases and ranks them by how much more often they occur
in low-score comments than in the rest (a smoothed ratio of shares).
"""

from __future__ import annotations

import numpy as np
import polars as pl
from sklearn.decomposition import NMF
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

LOW_CSAT = 3
MIN_COMMENTS = 20
STOP_WORDS = "english"


def _comments(repairs: pl.DataFrame) -> pl.DataFrame:
    return repairs.filter(
        pl.col("comment").is_not_null() & (pl.col("comment").str.strip_chars() != "")
    ).select("repair_id", "comment", "csat")


def comment_themes(
    repairs: pl.DataFrame, topics: int = 6, seed: int = 0, *, complaints_only: bool = True
) -> pl.DataFrame:
    """One row per theme: ``theme`` (its top terms), ``comments``, mean ``csat``,
    ``low_share`` (CSAT ≤ 3) and the most typical ``example``; unhappiest themes first.

    With ``complaints_only`` the topics are fitted on low-score comments (what the complaints are
    about), otherwise on all. Each comment belongs to the topic with its largest NMF weight.
    Empty when there are fewer than ``MIN_COMMENTS`` comments.
    """
    comments = _comments(repairs)
    if complaints_only:
        comments = comments.filter(pl.col("csat") <= LOW_CSAT)
    if comments.height < MIN_COMMENTS:
        return pl.DataFrame(
            schema={
                "theme": pl.String,
                "comments": pl.UInt32,
                "csat": pl.Float64,
                "low_share": pl.Float64,
                "example": pl.String,
            }
        )
    vectorizer = TfidfVectorizer(
        ngram_range=(1, 2), stop_words=STOP_WORDS, min_df=2, sublinear_tf=True
    )
    matrix = vectorizer.fit_transform(comments["comment"].str.to_lowercase().to_list())
    k = max(1, min(topics, matrix.shape[1] - 1, comments.height // 5))
    nmf = NMF(n_components=k, init="nndsvda", random_state=seed, max_iter=400)
    weights = nmf.fit_transform(matrix)
    terms = np.asarray(vectorizer.get_feature_names_out())
    labels = [", ".join(terms[np.argsort(row)[::-1][:4]]) for row in nmf.components_]
    assigned = comments.with_columns(
        pl.Series("topic", weights.argmax(axis=1)), pl.Series("strength", weights.max(axis=1))
    )
    return (
        assigned.group_by("topic")
        .agg(
            pl.len().alias("comments"),
            pl.col("csat").cast(pl.Float64).mean().alias("csat"),
            (pl.col("csat") <= LOW_CSAT).mean().alias("low_share"),
            pl.col("comment").sort_by("strength", descending=True).first().alias("example"),
        )
        .with_columns(
            pl.col("topic").map_elements(lambda t: labels[t], return_dtype=pl.String).alias("theme")
        )
        .select("theme", "comments", "csat", "low_share", "example")
        .sort(["low_share", "comments"], descending=[True, True])
    )


def key_phrases(repairs: pl.DataFrame, top: int = 15, min_count: int = 3) -> pl.DataFrame:
    """Phrases (1–3 words) over-represented in low-score comments: ``phrase``, ``low_count``,
    ``other_count`` and ``lift`` = share of low-score comments with the phrase ÷ share of other
    comments with it (add-one smoothed), highest lift first."""
    comments = _comments(repairs).filter(pl.col("csat").is_not_null())
    low = (comments["csat"] <= LOW_CSAT).to_numpy()
    if comments.height < MIN_COMMENTS or low.all() or not low.any():
        return pl.DataFrame(
            schema={
                "phrase": pl.String,
                "low_count": pl.Int64,
                "other_count": pl.Int64,
                "lift": pl.Float64,
            }
        )
    vectorizer = CountVectorizer(ngram_range=(1, 3), stop_words=STOP_WORDS, binary=True)
    matrix = vectorizer.fit_transform(comments["comment"].str.to_lowercase().to_list())
    low_count = np.asarray(matrix[low].sum(axis=0)).ravel()
    other_count = np.asarray(matrix[~low].sum(axis=0)).ravel()
    lift = ((low_count + 1) / (low.sum() + 2)) / ((other_count + 1) / ((~low).sum() + 2))
    return (
        pl.DataFrame(
            {
                "phrase": vectorizer.get_feature_names_out(),
                "low_count": low_count.astype(np.int64),
                "other_count": other_count.astype(np.int64),
                "lift": lift,
            }
        )
        .filter(pl.col("low_count") >= min_count)
        .sort(["lift", "low_count"], descending=True)
        .head(top)
    )
