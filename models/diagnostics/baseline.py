"""The keyword-rule baseline every diagnostics model must beat.

What a shop would write by hand in an afternoon: for each fault a few keywords (matched as whole
words or phrases on the normalised text, so it gets the same shorthand expansion and glossary as the
model — a fair comparison). Faults are ranked by how many of their keywords occur; ties and texts
with no keyword fall back to how common each fault is for the device category in the training data.
Faults impossible for the category are never proposed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from models.diagnostics.text import normalise_text

KEYWORDS: dict[str, tuple[str, ...]] = {
    "cracked_screen": ("cracked", "crack", "shattered", "smashed", "broken glass", "glass",
                       "broken screen", "spider"),
    "display_failure": ("lines", "flicker", "flickering", "black screen", "no image", "display",
                        "dead pixels", "backlight", "colours", "colors", "dim"),
    "touch_failure": ("touch", "touchscreen", "ghost", "unresponsive screen", "digitizer"),
    "battery_worn": ("battery", "drains", "battery life", "shuts down", "dies", "hold charge"),
    "battery_swollen": ("swollen", "bulging", "bulge", "lifting", "pops out", "puffy"),
    "charging_port": ("charging", "charge", "charger", "port", "cable", "usb", "plug"),
    "liquid_damage": ("water", "wet", "liquid", "spilled", "coffee", "juice", "rain", "toilet",
                      "drink", "soaked"),
    "board_failure": ("no power", "dead", "motherboard", "board", "short", "does not turn on",
                      "will not turn on"),
    "software_fault": ("software", "update", "boot loop", "stuck", "logo", "password", "virus",
                       "crash", "crashes", "slow", "operating system", "reset", "windows", "app"),
    "camera_fault": ("camera", "photo", "photos", "blurry", "lens"),
    "audio_fault": ("sound", "speaker", "microphone", "audio", "hear", "headphone", "volume"),
    "button_fault": ("button", "power button", "home button", "stuck button", "crown"),
    "back_glass": ("back glass", "back", "rear"),
    "keyboard_fault": ("keyboard", "keys", "key", "trackpad", "touchpad", "typing"),
    "hinge_fault": ("hinge", "lid", "case", "chassis", "wobbly"),
    "storage_fault": ("disk", "drive", "hard drive", "storage", "ssd", "data", "memory"),
    "overheating": ("overheating", "hot", "fan", "noisy", "loud", "heat", "thermal"),
    "video_port": ("hdmi", "tv", "monitor", "external", "video", "displayport"),
    "controller_drift": ("drift", "drifting", "joystick", "stick", "controller", "analog"),
    "disc_drive": ("disc", "disk drive", "cd", "dvd", "blu ray", "eject"),
    "connectivity_fault": ("wi fi", "wireless", "bluetooth", "signal", "network", "internet",
                           "sim", "connection"),
    "biometric_fault": ("face id", "fingerprint", "touch id", "face unlock", "biometric"),
}  # fmt: skip


@dataclass(frozen=True)
class KeywordBaseline:
    """Ranks the faults allowed for a category by keyword hits, then by training frequency."""

    fault_codes: tuple[str, ...]
    allowed: Mapping[str, np.ndarray]  # category → boolean mask over fault_codes
    prior: Mapping[str, np.ndarray]  # category → training frequency over fault_codes

    def scores(self, texts: Sequence[str], categories: Sequence[str]) -> np.ndarray:
        """One row per case: keyword hits + a tie-breaking prior (< 1), −inf where impossible."""
        patterns = _patterns()
        out = np.full((len(texts), len(self.fault_codes)), -np.inf)
        for row, (text, category) in enumerate(zip(texts, categories, strict=True)):
            words = f" {normalise_text(text)} "
            hits = np.array([sum(p.search(words) is not None for p in patterns.get(code, ()))
                             for code in self.fault_codes], dtype=float)  # fmt: skip
            score = hits + 0.5 * self.prior[category]
            out[row] = np.where(self.allowed[category], score, -np.inf)
        return out

    def rank(
        self, texts: Sequence[str], categories: Sequence[str], top: int = 3
    ) -> list[list[str]]:
        """The ``top`` most likely fault codes per case, best first."""
        order = np.argsort(-self.scores(texts, categories), axis=1, kind="stable")[:, :top]
        return [[self.fault_codes[i] for i in row] for row in order]


def fit_keyword_baseline(
    fault_codes: Sequence[str], allowed: Mapping[str, np.ndarray], labels: Sequence[str],
    categories: Sequence[str],
) -> KeywordBaseline:  # fmt: skip
    """The baseline with its tie-breaking prior counted from training labels."""
    index = {code: i for i, code in enumerate(fault_codes)}
    prior = {}
    for category, mask in allowed.items():
        counts = np.zeros(len(fault_codes))
        for label, cat in zip(labels, categories, strict=True):
            if cat == category and label in index:
                counts[index[label]] += 1
        counts = np.where(mask, counts + 1.0, 0.0)
        prior[category] = counts / counts.sum()
    return KeywordBaseline(tuple(fault_codes), dict(allowed), prior)


def _patterns() -> dict[str, list[re.Pattern[str]]]:
    return _PATTERNS


_PATTERNS = {
    code: [re.compile(rf" {re.escape(normalise_text(k))} ") for k in keywords]
    for code, keywords in KEYWORDS.items()
}
