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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
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
    # Allowed values of the text hyperparameters, for the Model Lab's form and job validation.
    choices: Mapping[str, Sequence[Any]] = field(default_factory=dict, hash=False, compare=False)

    def default_parameters(self) -> dict[str, Any]:
        """The hyperparameters a job may set, with their defaults: the module's ``PARAMETERS``
        dict (empty when the family has none)."""
        return dict(getattr(importlib.import_module(self.module), "PARAMETERS", {}))

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
            choices={
                "classifier": ("logreg", "linear_svc"),
                "device_priors": ("all", "age", "none"),
            },
        ),
        Family(
            "forecast",
            "Demand and revenue forecasts",
            "models.forecasting.train",
            "train_forecast",
            "describe_entry",
        ),
        Family("clv", "Customer lifetime value", "models.clv.train", "train_clv", "describe_entry"),
        Family(
            "churn", "Customer churn risk", "models.churn.train", "train_churn", "describe_entry"
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
