"""The BI dashboard's filter bar, kept in the URL query string so a view is a shareable link.

``filters_from_query`` and ``query_from_filters`` are pure and inverse of each other: the page
reads the query string once per session into the widgets, and writes the widgets' values back
after every change. Query keys: ``section``, ``preset`` (or ``from``/``to`` for a custom
range), ``cmp``, ``grain``, and repeated ``store``, ``category``, ``brand``, ``type``, ``tech``,
and ``sla`` (``repair_type:hours``, the SLA targets that differ from the defaults).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import streamlit as st

from warehouse.metrics import COMPARISONS, DEFAULT_SLA_HOURS, GRAINS, Filters, Grain

PRESETS: dict[str, str] = {
    "7d": "Last 7 days",
    "30d": "Last 30 days",
    "90d": "Last 90 days",
    "qtd": "Quarter to date",
    "ytd": "Year to date",
    "12m": "Last 12 months",
    "custom": "Custom range",
}
DEFAULT_PRESET = "90d"
DEFAULT_GRAIN: Grain = "week"
SECTIONS: dict[str, str] = {
    "revenue": "Revenue",
    "operations": "Operations",
    "customers": "Customers",
    "technicians": "Technicians",
}
DEFAULT_SECTION = "revenue"
COMPARISON_LABELS = {
    "previous_period": "Previous period",
    "same_period_last_year": "Same period last year",
    "none": "No comparison",
}
_CMP_CODES = {"previous_period": "prev", "same_period_last_year": "yoy", "none": "none"}
_CMP_FROM_CODE = {code: name for name, code in _CMP_CODES.items()}

# query key → (widget state key, Filters field)
_LISTS = {
    "store": ("bi_stores", "stores"),
    "category": ("bi_categories", "device_categories"),
    "brand": ("bi_brands", "brands"),
    "type": ("bi_repair_types", "repair_types"),
    "tech": ("bi_technicians", "technicians"),
}


@dataclass(frozen=True)
class FilterOptions:
    """What can be picked: the values present in the warehouse, and the days it covers."""

    first_date: dt.date
    last_date: dt.date
    stores: dict[int, str]
    device_categories: tuple[str, ...]
    brands: tuple[str, ...]
    repair_types: tuple[str, ...]
    technicians: dict[int, str]

    def allowed(self, query_key: str) -> Sequence[object]:
        return {
            "store": list(self.stores),
            "category": self.device_categories,
            "brand": self.brands,
            "type": self.repair_types,
            "tech": list(self.technicians),
        }[query_key]


@dataclass(frozen=True)
class View:
    """Everything the query string holds: the filters, the preset that made their dates, the
    time grain of the charts and the section shown. ``ignored`` lists query values that were
    not understood."""

    filters: Filters
    preset: str
    grain: Grain
    section: str = DEFAULT_SECTION
    ignored: tuple[str, ...] = field(default=())
    # SLA targets (repair type, hours from intake to ready) that differ from DEFAULT_SLA_HOURS.
    sla_targets: tuple[tuple[str, float], ...] = field(default=())


def preset_range(preset: str, as_of: dt.date) -> tuple[dt.date, dt.date]:
    """The dates a preset covers, ending on ``as_of`` (the last day with data)."""
    if preset == "qtd":
        return dt.date(as_of.year, 3 * ((as_of.month - 1) // 3) + 1, 1), as_of
    if preset == "ytd":
        return dt.date(as_of.year, 1, 1), as_of
    if preset == "12m":
        return as_of - dt.timedelta(days=364), as_of
    days = {"7d": 7, "30d": 30, "90d": 90}.get(preset, 90)
    return as_of - dt.timedelta(days=days - 1), as_of


def _one(params: Mapping[str, str | list[str]], key: str) -> str | None:
    value = params.get(key)
    if isinstance(value, list):
        return value[-1] if value else None
    return value


def _many(params: Mapping[str, str | list[str]], key: str) -> list[str]:
    value = params.get(key)
    if value is None:
        return []
    values = value if isinstance(value, list) else [value]
    return [part for item in values for part in item.split(",") if part]


def filters_from_query(params: Mapping[str, str | list[str]], options: FilterOptions) -> View:
    """The view a query string describes; values that are not understood are left out and
    named in ``View.ignored`` rather than failing the page."""
    ignored: list[str] = []
    preset = _one(params, "preset") or DEFAULT_PRESET
    if preset not in PRESETS:
        ignored.append(f"preset={preset}")
        preset = DEFAULT_PRESET
    start, end = preset_range(preset, options.last_date)
    if preset == "custom":
        try:
            start = dt.date.fromisoformat(_one(params, "from") or "")
            end = dt.date.fromisoformat(_one(params, "to") or "")
        except ValueError:
            ignored.append("from/to (use YYYY-MM-DD)")
            preset = DEFAULT_PRESET
            start, end = preset_range(preset, options.last_date)
        if end < start:
            ignored.append("from/to (the range ends before it starts)")
            preset = DEFAULT_PRESET
            start, end = preset_range(preset, options.last_date)
    comparison = _CMP_FROM_CODE.get(_one(params, "cmp") or "prev")
    if comparison is None:
        ignored.append(f"cmp={_one(params, 'cmp')}")
        comparison = "previous_period"
    grain = _one(params, "grain") or DEFAULT_GRAIN
    if grain not in GRAINS:
        ignored.append(f"grain={grain}")
        grain = DEFAULT_GRAIN
    section = _one(params, "section") or DEFAULT_SECTION
    if section not in SECTIONS:
        ignored.append(f"section={section}")
        section = DEFAULT_SECTION
    selections: dict[str, tuple] = {}
    for key, (_, attribute) in _LISTS.items():
        allowed = options.allowed(key)
        kept: list[object] = []
        for raw in _many(params, key):
            value: object = raw
            if key in ("store", "tech"):
                value = int(raw) if raw.isdigit() else raw
            if value in allowed:
                kept.append(value)
            else:
                ignored.append(f"{key}={raw}")
        selections[attribute] = tuple(dict.fromkeys(kept))
    sla_targets = {}
    for raw in _many(params, "sla"):
        repair_type, _, hours = raw.partition(":")
        try:
            target = float(hours)
        except ValueError:
            target = 0.0
        if repair_type in DEFAULT_SLA_HOURS and 0 < target < float("inf"):
            sla_targets[repair_type] = target
        else:
            ignored.append(f"sla={raw} (use repair_type:hours)")
    filters = Filters(start=start, end=end, comparison=comparison, **selections)
    return View(
        filters,
        preset,  # type: ignore[arg-type]
        grain,  # type: ignore[arg-type]
        section,
        tuple(ignored),
        sla_overrides(sla_targets.items()),
    )


def sla_overrides(targets: Iterable[tuple[str, float]]) -> tuple[tuple[str, float], ...]:
    """The targets that differ from ``DEFAULT_SLA_HOURS``: what a link has to carry."""
    return tuple(
        (repair_type, float(hours))
        for repair_type, hours in targets
        if DEFAULT_SLA_HOURS.get(repair_type) != hours
    )


def sla_query(targets: tuple[tuple[str, float], ...]) -> list[str]:
    """The ``sla`` query values of SLA overrides, e.g. ``['screen_replacement:36']``."""
    return [f"{repair_type}:{hours:g}" for repair_type, hours in targets]


def query_from_filters(view: View) -> dict[str, str | list[str]]:
    """The shortest query string for ``view``: defaults are left out."""
    filters = view.filters
    query: dict[str, str | list[str]] = {}
    if view.section != DEFAULT_SECTION:
        query["section"] = view.section
    if view.preset != DEFAULT_PRESET:
        query["preset"] = view.preset
    if view.preset == "custom":
        query["from"] = filters.start.isoformat()
        query["to"] = filters.end.isoformat()
    if filters.comparison != "previous_period":
        query["cmp"] = _CMP_CODES[filters.comparison]
    if view.grain != DEFAULT_GRAIN:
        query["grain"] = view.grain
    for key, (_, attribute) in _LISTS.items():
        values = getattr(filters, attribute)
        if values:
            query[key] = [str(value) for value in values]
    if view.sla_targets:
        query["sla"] = sla_query(view.sla_targets)
    return query


def _load_query_into_widgets(view: View) -> None:
    state = st.session_state
    state["bi_preset"] = view.preset
    state["bi_dates"] = (view.filters.start, view.filters.end)
    state["bi_comparison"] = view.filters.comparison
    state["bi_grain"] = view.grain
    state["bi_section"] = view.section
    for key, attribute in _LISTS.values():
        state[key] = list(getattr(view.filters, attribute))
    state["bi_sla_link"] = view.sla_targets


def _multiselect(
    label: str, key: str, options: Sequence[object], format_func: Callable[[object], str] = str
) -> tuple:
    return tuple(
        st.multiselect(label, options, key=key, format_func=format_func, placeholder="All")
    )


def render_filters(options: FilterOptions) -> View:
    """Draw the filter widgets in the sidebar and return the view they describe.

    The first run of a session takes its values from the query string; every run writes the
    current values back, so the address bar always holds a link to what is on screen.
    """
    state = st.session_state
    if not state.get("bi_query_loaded"):
        view = filters_from_query(st.query_params.to_dict() | _lists_of(st.query_params), options)
        _load_query_into_widgets(view)
        state["bi_query_loaded"] = True
        state["bi_ignored"] = view.ignored
    section = st.radio(
        "Section",
        list(SECTIONS),
        key="bi_section",
        format_func=SECTIONS.get,
        horizontal=True,
        label_visibility="collapsed",
    )
    sidebar = st.sidebar
    with sidebar:
        st.header("Filters")
        preset = st.selectbox("Period", list(PRESETS), key="bi_preset", format_func=PRESETS.get)
        if preset != "custom":
            # Presets follow the data: a newly published warehouse moves them forward.
            state["bi_dates"] = preset_range(preset, options.last_date)
        dates = st.date_input(
            "Dates",
            key="bi_dates",
            min_value=min(options.first_date, state["bi_dates"][0]),
            max_value=max(options.last_date, state["bi_dates"][-1]),
            disabled=preset != "custom",
            format="YYYY-MM-DD",
        )
        comparison = st.radio(
            "Compare with",
            list(COMPARISONS),
            key="bi_comparison",
            format_func=COMPARISON_LABELS.get,
        )
        grain = st.radio("Time grain", list(GRAINS), key="bi_grain", horizontal=True)
        stores = _multiselect("Stores", "bi_stores", list(options.stores), options.stores.get)
        categories = _multiselect("Device categories", "bi_categories", options.device_categories)
        brands = _multiselect("Brands", "bi_brands", options.brands)
        repair_types = _multiselect("Repair types", "bi_repair_types", options.repair_types)
        technicians = _multiselect(
            "Technicians", "bi_technicians", list(options.technicians), options.technicians.get
        )
    # A date range being picked has one end only until the second click.
    start, end = (dates[0], dates[-1]) if isinstance(dates, tuple) and dates else (None, None)
    if start is None:
        start, end = preset_range(DEFAULT_PRESET, options.last_date)
    view = View(
        Filters(
            start=start,
            end=end,
            comparison=comparison,
            stores=stores,
            device_categories=categories,
            brands=brands,
            repair_types=repair_types,
            technicians=technicians,
        ),
        preset,
        grain,
        section,
        state.get("bi_ignored", ()),
        state.get("bi_sla_link", ()),
    )
    st.query_params.from_dict(query_from_filters(view))
    return view


def _lists_of(params: Mapping[str, str]) -> dict[str, list[str]]:
    """Repeated keys (``store=1&store=2``) as lists; ``to_dict`` keeps only the last value."""
    return {key: params.get_all(key) for key in [*_LISTS, "sla"] if key in params}  # type: ignore[attr-defined]
