"""Checking a job's hyperparameters against the family's defaults before any process starts.

A family lists what a job may set in its module's ``PARAMETERS`` dict; each value must have the
type of its default (an int where the default is an int, and so on), numbers must be finite and
keep the sign of their default (a positive default such as a regularisation strength or a feature
count must stay positive), and text values must be one of the family's ``choices`` when it
declares them. Anything else is refused with one line naming the parameter.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from models.errors import ModelInputError

if TYPE_CHECKING:
    from models.training import Family

_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off"}


class JobInputError(ModelInputError):
    """A training request with a bad window or hyperparameter; ``str(error)`` says which."""


def validate_parameters(family: Family, given: Mapping[str, Any] | None) -> dict[str, Any]:
    """The family's defaults overridden by ``given``, every value checked and typed."""
    defaults = family.default_parameters()
    given = dict(given or {})
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        known = ", ".join(defaults) or "none"
        raise JobInputError(
            f"unknown {family.kind} parameter(s) {', '.join(unknown)}; known: {known}"
        )
    checked = dict(defaults)
    for name, value in given.items():
        checked[name] = check_value(name, value, defaults[name], family.choices.get(name))
    return checked


def check_value(name: str, value: Any, default: Any, choices: Any = None) -> Any:
    """``value`` converted to the type of ``default``, or JobInputError saying what is wrong."""
    if isinstance(default, bool):
        return _boolean(name, value)
    if isinstance(default, int):
        number = _number(name, value)
        if number != int(number):
            raise JobInputError(f"parameter {name} must be a whole number, got {value!r}")
        return _signed(name, int(number), default)
    if isinstance(default, float):
        return _signed(name, float(_number(name, value)), default)
    if isinstance(default, str):
        text = str(value).strip()
        if choices and text not in choices:
            allowed = ", ".join(map(str, choices))
            raise JobInputError(f"parameter {name} must be one of {allowed}, got {value!r}")
        if not text:
            raise JobInputError(f"parameter {name} must not be empty")
        return text
    if value is None or isinstance(value, type(default)):
        return value
    raise JobInputError(f"parameter {name} must be a {type(default).__name__}, got {value!r}")


def check_window(start: date | None, end: date | None) -> tuple[date | None, date | None]:
    """A training window with open ends allowed; JobInputError when it runs backwards."""
    if start is not None and end is not None and start > end:
        raise JobInputError(f"the training window starts ({start}) after it ends ({end})")
    return start, end


def _boolean(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise JobInputError(f"parameter {name} must be true or false, got {value!r}")


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool):
        raise JobInputError(f"parameter {name} must be a number, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise JobInputError(f"parameter {name} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise JobInputError(f"parameter {name} must be a finite number, got {value!r}")
    return number


def _signed(name: str, number: float, default: float) -> Any:
    if default > 0 and number <= 0:
        raise JobInputError(f"parameter {name} must be greater than 0, got {number:g}")
    if default == 0 and number < 0:
        raise JobInputError(f"parameter {name} must not be negative, got {number:g}")
    return number
