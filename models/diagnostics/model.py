"""The fitted diagnostics model: calibrated, category-restricted fault probabilities and their
exact explanations.

Probabilities are ``softmax((w_k · x + b_k) / T + q_k)`` over the faults faults.csv allows for the
device category and the parts catalogue allows for a known device model (impossible faults get
exactly 0, the rest renormalise), where ``T`` is a
temperature fitted on a validation split (calibration that keeps the model linear) and ``q_k`` the
log likelihood ratios of the quick answers (``answers.py``: hand-set, then learnt from outcomes).

Explanations are exact: the logit difference between two faults is a sum of per-feature terms
``(w_k − w_j) x / T`` plus the intercept and quick-answer terms. For a linear model on fixed inputs
these terms are its SHAP values against a zero baseline, so no sampling is needed. Character
n-gram terms are handed back to the words they came from, in proportion to how often each word
contains the n-gram, which keeps the sum exact.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
from scipy.optimize import minimize_scalar
from sklearn.pipeline import Pipeline

from models.diagnostics.answers import HAND_SET, QUESTIONS, AnswerRatios
from models.diagnostics.features import (
    DEVICE_COLUMNS,
    Case,
    Device,
    case_frame,
    device_fault_mask,
    find_device,
)


@dataclass(frozen=True)
class Contribution:
    """One term of a logit difference: a word, phrase, device fact, quick answer or intercept."""

    feature: str
    kind: str  # word | phrase | concept | device | answer | intercept
    value: float


@dataclass(frozen=True)
class Explanation:
    """Why ``fault`` scores above (or below) ``versus`` for one case; ``logit_difference`` equals
    the sum of every contribution's value."""

    fault: str
    versus: str
    logit_difference: float
    contributions: tuple[Contribution, ...]

    def toward(self, n: int = 5) -> list[Contribution]:
        """The ``n`` terms pushing hardest toward ``fault``."""
        return [c for c in sorted(self.contributions, key=lambda c: -c.value) if c.value > 0][:n]

    def away(self, n: int = 5) -> list[Contribution]:
        """The ``n`` terms pushing hardest toward ``versus`` instead."""
        return [c for c in sorted(self.contributions, key=lambda c: c.value) if c.value < 0][:n]


@dataclass
class DiagnosticsModel:
    """A fitted pipeline plus everything needed to turn its scores into a calibrated answer."""

    pipeline: Pipeline
    fault_codes: tuple[str, ...]
    allowed: dict[str, np.ndarray]  # category → mask over fault_codes
    temperature: float = 1.0
    threshold: float = 0.5  # below this top probability the answer recommends a bench diagnosis
    trained_categories: tuple[str, ...] = ()
    # the quick answers' log likelihood ratios (answers.py): hand-set until outcomes teach them
    answer_ratios: AnswerRatios = field(default_factory=lambda: copy.deepcopy(HAND_SET))
    _columns: np.ndarray | None = field(default=None, repr=False)
    _names: list[tuple[str, str]] | None = field(default=None, repr=False)
    _device_masks: dict[tuple[str, str], np.ndarray] = field(default_factory=dict, repr=False)

    # ---- scores -------------------------------------------------------------------------------

    def logits(self, cases: Sequence[Case], on: date | None = None) -> np.ndarray:
        """Calibrated logits over ``fault_codes``: −inf where faults.csv rules the fault out."""
        frame = case_frame(list(cases), on)
        return self._logits_from(self.pipeline.decision_function(frame), cases)

    def predict_proba(self, cases: Sequence[Case], on: date | None = None) -> np.ndarray:
        """One probability row per case over ``fault_codes``, zero for impossible faults."""
        return softmax(self.logits(cases, on))

    def known_word_count(self, text: str) -> int:
        """How many words of the normalised text the model has a weight for."""
        vocabulary = self.pipeline.named_steps["features"].named_transformers_["word"].vocabulary_
        return sum(word in vocabulary for word in text.split())

    def _logits_from(self, raw: np.ndarray, cases: Sequence[Case]) -> np.ndarray:
        raw = self._reorder(np.asarray(raw, dtype=float)) / self.temperature
        raw = raw + np.array([self._answer_terms(case) for case in cases]).reshape(raw.shape)
        return np.where(self.possible(cases), raw, -np.inf)

    def possible(self, cases: Sequence[Case]) -> np.ndarray:
        """[case, fault] bool: the faults faults.csv allows for the category and, for a catalogue
        model, that the model's build allows (``features.device_fault_mask``)."""
        masks = np.array([self.allowed[case.category] for case in cases]).reshape(
            len(cases), len(self.fault_codes)
        )
        for row, case in enumerate(cases):
            device = find_device(case.model)
            if device is not None and device.category == case.category:
                masks[row] &= self._device_mask(device)
        return masks

    def _device_mask(self, device: Device) -> np.ndarray:
        key = (device.brand, device.model)
        if key not in self._device_masks:
            self._device_masks[key] = device_fault_mask(device, self.fault_codes)
        return self._device_masks[key]

    def _reorder(self, raw: np.ndarray) -> np.ndarray:
        """Columns of the classifier (its sorted classes) → ``fault_codes`` order; faults it never
        saw in training get a logit of −50, i.e. practically never proposed."""
        out = np.full((raw.shape[0], len(self.fault_codes)), -50.0)
        out[:, self._class_columns()] = raw
        return out

    def _class_columns(self) -> np.ndarray:
        if self._columns is None:
            index = {code: i for i, code in enumerate(self.fault_codes)}
            self._columns = np.array([index[c] for c in self.pipeline.classes_])
        return self._columns

    def _answer_terms(self, case: Case) -> np.ndarray:
        terms = np.zeros(len(self.fault_codes))
        for question in QUESTIONS:
            answer = getattr(case, question)
            if answer is None:
                continue
            for code, log_ratio in self._ratios(question, answer).items():
                terms[self.fault_codes.index(code)] += log_ratio
        return terms

    def _ratios(self, question: str, answer: bool) -> Mapping[str, float]:
        return self.answer_ratios.get(question, {}).get(bool(answer), {})

    # ---- explanations -------------------------------------------------------------------------

    def explain(self, case: Case, fault: str, versus: str | None = None,
                on: date | None = None) -> Explanation:  # fmt: skip
        """Exact additive terms of ``logit(fault) − logit(versus)`` for one case.

        ``versus`` defaults to the most likely other fault. Both must be possible for the category.
        """
        frame = case_frame([case], on)
        logits = self._logits_from(self.pipeline.decision_function(frame), [case])[0]
        learnt = set(self.pipeline.classes_)
        if versus is None:
            ranked = [self.fault_codes[i] for i in np.argsort(-logits) if np.isfinite(logits[i])]
            versus = next(code for code in ranked if code != fault and code in learnt)
        if not {fault, versus} <= learnt:
            raise ValueError(f"{fault} or {versus} never occurred in training: nothing to explain")
        k, j = self.fault_codes.index(fault), self.fault_codes.index(versus)
        if not (np.isfinite(logits[k]) and np.isfinite(logits[j])):
            raise ValueError(f"{fault} and {versus} must both be possible for a {case.category}")
        terms = self._feature_terms(frame, fault, versus)
        classify = self.pipeline.named_steps["classify"]
        classes = list(classify.classes_)
        intercept = (classify.intercept_[classes.index(fault)]
                     - classify.intercept_[classes.index(versus)]) / self.temperature  # fmt: skip
        terms.append(Contribution("intercept", "intercept", float(intercept)))
        for question in QUESTIONS:
            answer = getattr(case, question)
            if answer is not None:
                by_answer = self._ratios(question, answer)
                value = by_answer.get(fault, 0.0) - by_answer.get(versus, 0.0)
                if value:
                    terms.append(Contribution(f"{question} = {answer}", "answer", value))
        return Explanation(fault, versus, float(logits[k] - logits[j]), tuple(terms))

    def _feature_terms(self, frame: Any, fault: str, versus: str) -> list[Contribution]:
        features = self.pipeline.named_steps["features"]
        classify = self.pipeline.named_steps["classify"]
        classes = list(classify.classes_)
        row = features.transform(frame).tocsr()
        weights = classify.coef_[classes.index(fault)] - classify.coef_[classes.index(versus)]
        values = row.data * weights[row.indices] / self.temperature
        if self._names is None:
            self._names = _feature_names(features)
        names = self._names
        words: dict[str, float] = defaultdict(float)
        out: list[Contribution] = []
        text = frame["text"].iloc[0]
        char_counts = _char_ngram_counts(features.named_transformers_["char"], text)
        for index, value in zip(row.indices, values, strict=True):
            block, name = names[index]
            if block == "word":
                if " " in name:
                    out.append(Contribution(name, "phrase", float(value)))
                else:
                    words[name] += float(value)
            elif block == "char":
                owners = char_counts.get(name, {})
                total = sum(owners.values())
                for word, count in owners.items():
                    words[word] += float(value) * count / total
            elif block == "concept":
                out.append(Contribution(name.replace("_", ": ", 1), "concept", float(value)))
            else:
                out.append(Contribution(name, "device", float(value)))
        out.extend(Contribution(word, "word", value) for word, value in words.items())
        return out


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax that treats −inf as probability 0."""
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


def fit_temperature(raw_logits: np.ndarray, mask: np.ndarray, labels: np.ndarray) -> float:
    """The temperature minimising the validation negative log-likelihood (Guo et al. 2017)."""

    def nll(log_t: float) -> float:
        z = np.where(mask, raw_logits / np.exp(log_t), -np.inf)
        z = z - z.max(axis=1, keepdims=True)
        log_norm = np.log(np.exp(z).sum(axis=1))
        return float(np.mean(log_norm - z[np.arange(len(labels)), labels]))

    result = minimize_scalar(nll, bounds=(np.log(0.05), np.log(20.0)), method="bounded")
    return float(np.exp(result.x))


def _feature_names(features: Any) -> list[tuple[str, str]]:
    """(block, readable name) per column of the feature matrix: ``("device", "brand = Apple")``."""
    names = []
    for name in features.get_feature_names_out():
        block, _, rest = name.partition("__")
        if block == "device":
            column = next(c for c in _LONGEST_FIRST if rest.startswith(c + "_"))
            names.append((block, f"{column} = {rest[len(column) + 1 :]}"))
        else:
            names.append((block, rest))
    return names


def _char_ngram_counts(vectorizer: Any, text: str) -> Mapping[str, dict[str, int]]:
    """n-gram → {word: occurrences of the n-gram in that word}; ``char_wb`` n-grams never cross
    a word boundary, so every n-gram of the text belongs to one or more of its words."""
    analyse = vectorizer.build_analyzer()
    owners: dict[str, dict[str, int]] = defaultdict(dict)
    for word in text.split():
        for gram in analyse(word):
            owners[gram][word] = owners[gram].get(word, 0) + 1
    return owners


_LONGEST_FIRST = sorted(DEVICE_COLUMNS, key=len, reverse=True)  # "category_age" before "category"
