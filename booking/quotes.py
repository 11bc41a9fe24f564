"""Instant quotes: the production diagnostics model's top candidates as price and time ranges."""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import TYPE_CHECKING

from booking import schemas
from booking.errors import FieldError, Unavailable
from core.settings import Settings

if TYPE_CHECKING:
    from models.diagnostics.diagnose import Candidate, Diagnosis
    from models.diagnostics.features import Case

TOP = 3
NO_MODEL = "instant quotes are unavailable: no diagnostics model is trained yet"
logger = logging.getLogger("repairlens.api")


class Quoter:
    """Holds the production model loader; the model loads on the first quote, not at start-up,
    and is reloaded after a promotion."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._production = None

    def quote(self, body: schemas.QuoteRequest, today: dt.date) -> schemas.QuoteResponse:
        from models.diagnostics.diagnose import DiagnoseInputError, diagnose_many
        from models.diagnostics.features import Case
        from models.diagnostics.store import ModelNotTrainedError, ProductionModel
        from models.registry import RegistryError

        if self._production is None:
            self._production = ProductionModel(self._settings)
        case = Case(
            category=body.category,
            symptoms=body.symptoms,
            brand=body.brand,
            model=body.model,
            age_years=body.age_years,
            powers_on=body.powers_on,
            liquid_exposure=body.liquid_exposure,
            dropped=body.dropped,
        )
        try:
            loaded = self._production.get()
            (answer,) = diagnose_many(loaded.model, loaded.prices, [case], TOP, on=today)
        except (ModelNotTrainedError, RegistryError):
            raise Unavailable(NO_MODEL, headers={"Retry-After": "3600"}) from None
        except DiagnoseInputError as error:
            location = "model" if "not a" in str(error) else "category"
            raise FieldError(("body", location), str(error)) from None
        quote_id = record_prediction(self._settings, loaded.version, case, answer)
        return schemas.QuoteResponse(
            quote_id=quote_id,
            model_version=loaded.version,
            candidates=[_candidate(c) for c in answer.candidates],
            bench_diagnosis_recommended=answer.bench_diagnosis_recommended,
            note=answer.note,
        )


def _candidate(candidate: Candidate) -> schemas.QuoteCandidate:
    priced = candidate.price_low is not None and candidate.price_high is not None
    lead = max((p.lead_time_days for p in candidate.parts), default=0)
    return schemas.QuoteCandidate(
        fault=candidate.fault,
        probability=round(candidate.probability, 4),
        repair_type=candidate.repair_type,
        price_eur=schemas.Range(low=candidate.price_low, high=candidate.price_high)
        if priced
        else None,
        bench_minutes=candidate.minutes,
        ready_in_days=schemas.Range(low=1, high=1 + lead),
    )


def record_prediction(
    settings: Settings, version: int, case: Case, answer: Diagnosis
) -> str | None:
    """Log the answer in the diagnostics prediction log; its id, or None when logging failed
    (a quote is worth more than its log line)."""
    from models.diagnostics import prediction_log

    try:
        return prediction_log.record_prediction(
            settings, source="api", case=case, answer=answer, model_version=version
        )
    except Exception as error:
        logger.warning(
            json.dumps({"event": "prediction_log_failed", "error": type(error).__name__})
        )
        return None


def link_quote(settings: Settings, quote_id: str, booking_reference: str) -> None:
    """Attach the booking a quote turned into to its logged prediction, when there is one."""
    from models.diagnostics import prediction_log

    try:
        prediction_log.link_prediction(settings, quote_id, booking_reference=booking_reference)
    except Exception as error:
        logger.warning(
            json.dumps({"event": "prediction_link_failed", "error": type(error).__name__})
        )
