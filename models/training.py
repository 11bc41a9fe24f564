"""The catalogue of trainable model families: one place that ``repairlens train <kind>``,
``repairlens train all`` and the Model Lab's background jobs read.

Every family exposes a function with the same signature::

    train(settings, window=None, *, promote=False, started_by=None, parameters=None,
          progress=None) -> registry.Entry

and a ``describe(entry) -> str`` that states its hold-out metrics against the family's baseline in
one line. Families are imported only when trained, so listing them is cheap.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from core.settings import Settings
from models.registry import Entry


@dataclass(frozen=True)
class Family:
    kind: str
    title: str
    module: str
    train_function: str
    describe_function: str

    def train(
        self,
        settings: Settings,
        window: tuple[date, date] | None = None,
        *,
        promote: bool = False,
        started_by: str | None = None,
        parameters: dict[str, Any] | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> Entry:
        function = getattr(importlib.import_module(self.module), self.train_function)
        return function(
            settings,
            window,
            promote=promote,
            started_by=started_by,
            parameters=parameters,
            progress=progress,
        )

    def describe(self, entry: Entry) -> str:
        return getattr(importlib.import_module(self.module), self.describe_function)(entry)


FAMILIES: dict[str, Family] = {
    family.kind: family
    for family in (
        Family(
            "diagnostics",
            "Symptom-to-fault diagnostics",
            "models.diagnostics.train",
            "train_diagnostics",
            "describe_entry",
        ),
    )
}


class UnknownFamilyError(ValueError):
    pass


def family(kind: str) -> Family:
    try:
        return FAMILIES[kind]
    except KeyError:
        known = ", ".join(FAMILIES)
        raise UnknownFamilyError(f"unknown model kind {kind!r}; known kinds: {known}") from None
