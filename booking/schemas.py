"""Request and response bodies: what a customer or staff member may send, and what they see."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from ops.schema import DEVICE_CATEGORIES, PAYMENT_METHODS, REPAIR_STATUSES

Category = Literal[DEVICE_CATEGORIES]  # type: ignore[valid-type]


def _no_nul(text: str) -> str:
    # PostgreSQL text cannot hold NUL characters; refuse them here rather than fail on insert.
    if "\x00" in text:
        raise ValueError("must not contain NUL characters")
    return text


NoNul = AfterValidator(_no_nul)
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80), NoNul]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000), NoNul]
Symptoms = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=3, max_length=2000), NoNul
]
Email = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, max_length=254, pattern=r"^[^@\s\x00]+@[^@\s\x00]+\.[^@\s\x00]+$"
    ),
]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9 ()-]{6,20}$")]
FaultCode = Annotated[str, StringConstraints(pattern=r"^[a-z_]{3,32}$")]
STORE_CODE_PATTERN = r"^[\w-]{1,16}$"  # letters (any script), digits, _ and -: never NUL or /
StoreCode = Annotated[str, StringConstraints(pattern=STORE_CODE_PATTERN)]
Money = Annotated[Decimal, Field(ge=0, le=100_000, max_digits=10, decimal_places=2)]


def _this_century(moment: dt.datetime) -> dt.datetime:
    if not 2000 <= moment.year <= 2099:
        raise ValueError("choose a time between the years 2000 and 2099")
    return moment


SlotStart = Annotated[
    AwareDatetime,
    AfterValidator(_this_century),
    Field(description="A start offered by the slot search, with its UTC offset."),
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Problem(BaseModel):
    detail: str


# --- stores and slots -------------------------------------------------------------------------


class OpeningWindow(BaseModel):
    opens: str = Field(examples=["09:00"])
    closes: str = Field(examples=["18:00"])


class StorePublic(BaseModel):
    code: str
    name: str
    city: str
    country_code: str
    timezone: str
    opening_hours: dict[str, OpeningWindow | None] = Field(
        description="Store-local hours per weekday (mon … sun); null when closed."
    )


class SlotPublic(BaseModel):
    start_at: dt.datetime = Field(description="Store-local time with its UTC offset.")
    end_at: dt.datetime


class SlotList(BaseModel):
    store_code: str
    day: dt.date
    slot_minutes: int
    slots: list[SlotPublic]


class DeviceModelPublic(BaseModel):
    id: int
    brand: str
    model: str
    category: str


# --- quotes -----------------------------------------------------------------------------------


class QuoteRequest(Strict):
    category: Category
    symptoms: Symptoms = Field(examples=["screen cracked after a drop, touch still works"])
    brand: Name | None = None
    model: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=120), NoNul] | None
    ) = None
    age_years: float | None = Field(None, ge=0, le=40)
    powers_on: bool | None = None
    liquid_exposure: bool | None = None
    dropped: bool | None = None


class Range(BaseModel):
    low: float
    high: float


class QuoteCandidate(BaseModel):
    fault: str
    probability: float
    repair_type: str
    price_eur: Range | None = Field(description="10th–90th percentile of past final prices.")
    bench_minutes: float | None
    ready_in_days: Range = Field(
        description="Working days until ready: parts in stock at best, their lead time at worst."
    )


class QuoteResponse(BaseModel):
    quote_id: str | None = Field(description="Pass it when booking to link quote and booking.")
    model_version: int
    candidates: list[QuoteCandidate]
    bench_diagnosis_recommended: bool
    note: str


# --- bookings ---------------------------------------------------------------------------------


class CustomerIn(Strict):
    first_name: Name
    last_name: Name
    email: Email
    phone: Phone | None = None
    privacy_consent: Literal[True] = Field(
        description="Consent to store the contact details for this repair (required)."
    )
    marketing_consent: bool = False
    sms_consent: bool = False


class BookingCreate(Strict):
    store_code: StoreCode
    slot_start_at: SlotStart
    device_model_id: int = Field(ge=1, le=2**31 - 1)
    symptoms: Symptoms
    customer: CustomerIn
    quote_id: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")] | None = None


class BookingCreated(BaseModel):
    reference: str
    access_token: str = Field(description="Secret: whoever holds it can view and change this.")
    access_path: str
    status: str
    store_code: str
    slot_start_at: dt.datetime
    slot_end_at: dt.datetime


class Reschedule(Strict):
    slot_start_at: SlotStart


class TimelineEntry(BaseModel):
    at: dt.datetime = Field(description="UTC.")
    status: str
    note: str | None = None


class RepairPublic(BaseModel):
    status: str
    quoted_price_eur: Decimal
    final_price_eur: Decimal | None
    received_at: dt.datetime
    completed_at: dt.datetime | None
    collected_at: dt.datetime | None


class BookingPublic(BaseModel):
    reference: str
    status: str
    store_code: str
    store_name: str
    slot_start_at: dt.datetime
    slot_end_at: dt.datetime
    device: str
    symptoms: str
    repair: RepairPublic | None
    timeline: list[TimelineEntry]
    can_reschedule: bool
    can_cancel: bool
    can_give_feedback: bool


class FeedbackCreate(Strict):
    csat: int = Field(ge=1, le=5, description="Satisfaction, 1 (poor) to 5 (excellent).")
    nps: int | None = Field(None, ge=0, le=10, description="Likelihood to recommend, 0–10.")
    comment: Text | None = None


class FeedbackPublic(BaseModel):
    csat: int
    nps: int | None
    submitted_at: dt.datetime


# --- staff ------------------------------------------------------------------------------------


class TokenRequest(Strict):
    email: Email
    password: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class Token(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds.")
    role: str


class StaffBooking(BaseModel):
    reference: str
    status: str
    slot_start_at: dt.datetime
    technician_id: int | None
    device: str
    symptoms: str


class CheckIn(Strict):
    quoted_price_eur: Money
    initial_fault_code: FaultCode | None = None


class AssignTechnician(Strict):
    technician_id: int = Field(ge=1, le=2**31 - 1)


NextStatus = Literal[tuple(s for s in REPAIR_STATUSES if s not in ("received", "collected"))]  # type: ignore[valid-type]


class StatusChange(Strict):
    status: NextStatus
    note: Text | None = None
    fault_code: FaultCode | None = None
    labour_minutes: int | None = Field(None, ge=0, le=2000)
    final_price_eur: Money | None = None


class PartUse(Strict):
    sku: Annotated[str, StringConstraints(min_length=1, max_length=40), NoNul]
    quantity: int = Field(1, ge=1, le=50)


class PartUsed(BaseModel):
    sku: str
    quantity: int
    quantity_on_hand: int
    below_reorder_point: bool
    stock_out: bool = Field(description="True when this use took the last unit.")


class PaymentCreate(Strict):
    amount_eur: Annotated[Decimal, Field(gt=0, le=100_000, max_digits=10, decimal_places=2)]
    currency: Literal["EUR"] = Field("EUR", description="Stores take euros only.")
    method: Literal[PAYMENT_METHODS]  # type: ignore[valid-type]


class PaymentPublic(BaseModel):
    id: int
    amount_eur: Decimal
    method: str
    status: str
    paid_at: dt.datetime | None


class RepairStaff(BaseModel):
    id: int
    booking_reference: str | None
    store_code: str
    status: str
    technician_id: int | None
    quoted_price_eur: Decimal
    final_price_eur: Decimal | None
    fault_code: str | None
    received_at: dt.datetime
    completed_at: dt.datetime | None
    collected_at: dt.datetime | None
    paid_eur: Decimal


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: Literal["ready", "not ready"]
    database: str
    migrations: str
