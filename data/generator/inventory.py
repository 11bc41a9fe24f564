"""Spare parts: which parts each store stocks, when a repair's part is available, and the stock
ledger (stock_levels, stock_movements) that follows from it.

Policy (periodic review, base stock): a store stocks a part when it expects to use it often
enough; every Monday it orders what it used the week before, which arrives ``lead_time_days``
later, so a unit is always on hand or on order for each of ``S`` (the base stock). The ``j``-th
request for a part at a store takes the ``j``-th unit to arrive (first in, first out): the ``S``
opening units, then the unit ordered to replace request ``j - S``. When that unit has not arrived
the repair goes to ``awaiting_parts`` until it does. Parts a store does not stock are ordered for
the repair and arrive after the lead time. This keeps stock on hand ≥ 0 at every moment, and below
what a repair needs whenever it waits for a stocked part (a double joystick repair holds the unit
that has arrived until its second one does).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from data.generator.pricing import part_unit_costs
from data.generator.timestamps import utc
from data.generator.world import EXPECTED_RETURN_UPLIFT, World

if TYPE_CHECKING:
    from data.generator.tables import Records

# A store stocks a part when its expected peak weekly use reaches a threshold that rises with
# the part's cost: (unit cost up to EUR, minimum weekly use).
STOCKING_THRESHOLDS = ((50.0, 0.05), (150.0, 0.15), (float("inf"), 1.0))
SAFETY_Z = 0.5  # base stock = cover + z × sqrt(cover), cover = peak use over review + lead time
ORDER_HOUR = 8
DELIVERY_HOUR = 10
DAMAGED_ON_ARRIVAL_RATE = 0.015  # receipts with one extra damaged unit, returned to the supplier
COUNT_CORRECTION_RATE = 0.01  # receipts with one extra unit written off by a count adjustment

_SECONDS_PER_DAY = 86_400
_ROW_STRIDE = 1 << 32


@dataclass
class PartsLedger:
    """Base stock per (store, part) and the record of every part request during the simulation."""

    world: World
    base_stock: np.ndarray  # [store, part] S, 0 when not stocked
    stock_start: np.ndarray  # [store, part] local seconds of the opening receipt
    stocked_index: np.ndarray  # [store, part] compact index of stocked pairs, -1 otherwise
    n_weeks: int
    stocked_store: np.ndarray = field(init=False)  # [stocked pair] store
    stocked_part: np.ndarray = field(init=False)  # [stocked pair] part
    _requests_so_far: np.ndarray = field(init=False)
    _cumulative_by_week: np.ndarray = field(init=False)
    _records: list[dict[str, np.ndarray]] = field(default_factory=list)

    def __post_init__(self) -> None:
        n_stocked = int((self.stocked_index >= 0).sum())
        self._requests_so_far = np.zeros(n_stocked, np.int64)
        offsets = np.arange(n_stocked, dtype=np.int64)[:, None] * _ROW_STRIDE
        # Cumulative requests per stocked pair through each week, offset per row so that one
        # searchsorted over the flattened array finds the week of the n-th request of any pair.
        self._cumulative_by_week = np.broadcast_to(
            offsets + _ROW_STRIDE - 1, (n_stocked, self.n_weeks)
        ).copy()
        self.stocked_store, self.stocked_part = np.nonzero(self.stocked_index >= 0)
        order = np.argsort(self.stocked_index[self.stocked_store, self.stocked_part])
        self.stocked_store = self.stocked_store[order]
        self.stocked_part = self.stocked_part[order]

    def fulfil(
        self,
        week: int,
        visit: np.ndarray,
        store: np.ndarray,
        part: np.ndarray,
        units: np.ndarray,
        requested: np.ndarray,
    ) -> np.ndarray:
        """When each visit's part(s), requested in ``week``, are on hand (local seconds).

        Must be called for every week in order, with empty arrays when nothing is requested.
        """
        unit_visit = np.repeat(np.arange(len(visit)), units)
        st, pt, t = store[unit_visit], part[unit_visit], requested[unit_visit]
        k = self.stocked_index[st, pt]
        available = np.empty(len(t), np.int64)
        special = k < 0
        available[special] = self._special_order_arrival(st[special], pt[special], t[special])
        available[~special] = self._stocked_arrival(week, k[~special], t[~special])
        per_visit = requested.copy()
        np.maximum.at(per_visit, unit_visit, available)
        self._records.append(
            {"visit": visit[unit_visit], "store": st, "part": pt, "requested": t,
             "available": available, "week": np.full(len(t), week)}
        )  # fmt: skip
        return per_visit

    def _special_order_arrival(
        self, store: np.ndarray, part: np.ndarray, t: np.ndarray
    ) -> np.ndarray:
        lead = self.world.catalogue.part_lead_days[part]
        return self.world.calendar.next_open(store, t + lead * _SECONDS_PER_DAY)

    def _stocked_arrival(self, week: int, k: np.ndarray, t: np.ndarray) -> np.ndarray:
        order = np.lexsort((t, k))
        ks = k[order]
        first_of_pair = np.r_[True, ks[1:] != ks[:-1]] if len(ks) else np.zeros(0, bool)
        position = np.arange(len(ks))
        rank = position - np.maximum.accumulate(np.where(first_of_pair, position, 0))
        unit = self._requests_so_far[ks] + rank
        self._requests_so_far += np.bincount(ks, minlength=len(self._requests_so_far))
        row_offset = np.arange(len(self._requests_so_far), dtype=np.int64) * _ROW_STRIDE
        self._cumulative_by_week[:, week] = row_offset + self._requests_so_far

        base = self.base_stock[self.stocked_store[ks], self.stocked_part[ks]]
        replaced = np.maximum(unit - base, 0)  # the request whose replacement this unit is
        flat = np.searchsorted(
            self._cumulative_by_week.ravel(), ks * _ROW_STRIDE + replaced, side="right"
        )
        replaced_week = flat - ks * self.n_weeks
        arrival = np.where(
            unit < base,
            self.stock_start[self.stocked_store[ks], self.stocked_part[ks]],
            self.order_arrival(ks, replaced_week + 1),
        )
        available = np.empty(len(t), np.int64)
        available[order] = arrival
        return available

    def order_arrival(self, k: np.ndarray, order_week: np.ndarray) -> np.ndarray:
        """When the Monday order of ``order_week`` for stocked pair ``k`` is on the shelf."""
        store, part = self.stocked_store[k], self.stocked_part[k]
        day = self.monday(order_week) + self.world.catalogue.part_lead_days[part]
        return self.world.calendar.next_open(store, day * _SECONDS_PER_DAY + DELIVERY_HOUR * 3600)

    def monday(self, week: np.ndarray | int) -> np.ndarray:
        return np.asarray(week) * 7 - self.world.window.first_weekday

    def records(self) -> dict[str, np.ndarray]:
        """Every unit requested during the simulation."""
        return {name: np.concatenate([r[name] for r in self._records]) for name in self._records[0]}


def plan_base_stock(
    world: World, store: np.ndarray, part: np.ndarray, day: np.ndarray, n_weeks: int
) -> PartsLedger:
    """Decide what each store stocks from the parts its new customers' repairs will need.

    The plan sees only first visits (the simulation has not produced returns yet) and scales them
    by the expected uplift from returning customers, as a store would forecast from its sales.
    """
    n_stores, n_parts = world.stores.count, len(world.catalogue.part_cost)
    quarter = day // 91
    n_quarters = int(day.max(initial=0) // 91) + 1
    uses = np.zeros((n_stores, n_parts, n_quarters))
    np.add.at(uses, (store, part, quarter), 1.0)
    peak_weekly = uses.max(axis=2) / 13.0 * EXPECTED_RETURN_UPLIFT
    cost = world.catalogue.part_cost
    ceilings = np.array([ceiling for ceiling, _ in STOCKING_THRESHOLDS])
    minimum_use = np.array([use for _, use in STOCKING_THRESHOLDS])[np.searchsorted(ceilings, cost)]
    stocked = peak_weekly >= minimum_use[None, :]
    cover = peak_weekly * (7 + world.catalogue.part_lead_days[None, :]) / 7
    base = np.where(stocked, np.ceil(cover + SAFETY_Z * np.sqrt(cover)), 0).astype(np.int64)

    model_of_part = world.catalogue.part_compatibility["device_model_id"].to_numpy() - 1
    release = world.catalogue.model_release_day[model_of_part]
    first_day = np.maximum(world.stores.opened_day[:, None], release[None, :] - 7)
    stock_start = np.maximum(first_day, 0) * _SECONDS_PER_DAY + ORDER_HOUR * 3600
    stocked_index = np.full((n_stores, n_parts), -1)
    stocked_index[base > 0] = np.arange(int((base > 0).sum()))
    return PartsLedger(
        world=world,
        base_stock=base,
        stock_start=stock_start,
        stocked_index=stocked_index,
        n_weeks=n_weeks,
    )


# --- tables -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StockTables:
    levels: pl.DataFrame
    movements: pl.DataFrame


_REASON_ORDER = ("receipt", "return", "adjustment", "repair_use")  # same-second ordering


def stock_ledger(records: Records, rng: np.random.Generator) -> StockTables:
    """stock_levels and stock_movements consistent with every part request of the simulation."""
    world, v = records.world, records.sim.visits
    ledger = records.sim.ledger
    end = world.end_seconds
    request = ledger.records()
    pair = ledger.stocked_index[request["store"], request["part"]]
    stocked = pair >= 0

    # Opening stock of each stocked pair.
    opening = _Moves(
        store=ledger.stocked_store, part=ledger.stocked_part,
        quantity=ledger.base_stock[ledger.stocked_store, ledger.stocked_part],
        occurred=ledger.stock_start[ledger.stocked_store, ledger.stocked_part],
    )  # fmt: skip
    # Monday replenishment of what each stocked pair used the week before.
    key, used = np.unique(
        pair[stocked] * ledger.n_weeks + request["week"][stocked], return_counts=True
    )
    order_pair, order_week = key // ledger.n_weeks, key % ledger.n_weeks + 1
    placed = ledger.monday(order_week) * _SECONDS_PER_DAY + ORDER_HOUR * 3600
    replenished = _Moves(
        store=ledger.stocked_store[order_pair], part=ledger.stocked_part[order_pair],
        quantity=used, occurred=ledger.order_arrival(order_pair, order_week), placed=placed,
    )  # fmt: skip
    # Parts ordered for one repair.
    special_visit, first = np.unique(request["visit"][~stocked], return_index=True)
    special = _Moves(
        store=request["store"][~stocked][first], part=request["part"][~stocked][first],
        quantity=v["units"][special_visit].astype(np.int64),
        occurred=request["available"][~stocked][first],
        placed=request["requested"][~stocked][first],
    )  # fmt: skip
    receipts = replenished.concat(special)
    on_order = receipts.select((receipts.placed < end) & (receipts.occurred >= end))
    receipts = receipts.select(receipts.occurred < end)
    returned, corrected = _spoiled_units(rng, receipts, end)
    receipts.quantity += returned.flag + corrected.flag

    used_visits = np.unique(request["visit"])
    consumed = used_visits[v["part_available"][used_visits] < end]
    uses = _Moves(
        store=v["store"][consumed], part=v["part"][consumed],
        quantity=-v["units"][consumed].astype(np.int64), occurred=v["part_available"][consumed],
        repair=records.repair_id[consumed],
    )  # fmt: skip

    parts = [
        ("receipt", opening.select(opening.occurred < end)),
        ("receipt", receipts),
        ("return", returned.moves),
        ("adjustment", corrected.moves),
        ("repair_use", uses),
    ]
    movements = _movements_frame(world, parts)
    levels = _levels_frame(world, ledger, movements, on_order, replenished)
    return StockTables(levels=levels, movements=movements.drop("_order"))


def repair_parts_table(records: Records, rng: np.random.Generator) -> pl.DataFrame:
    world = records.world
    part = records.of_repairs("part")
    fitted_at = records.of_repairs("part_available")
    rows = np.flatnonzero(
        (part >= 0) & ~records.of_repairs("cancelled") & (fitted_at < world.end_seconds)
    )
    store = records.of_repairs("store")[rows]
    years_before_end = (world.end_seconds - fitted_at[rows]) / (_SECONDS_PER_DAY * 365.25)
    cost = part_unit_costs(rng, world.catalogue, part[rows], years_before_end)
    fitted = utc(world, store, fitted_at[rows])
    return pl.DataFrame(
        {
            "id": np.arange(1, rows.size + 1),
            "repair_id": rows + 1,
            "part_id": part[rows] + 1,
            "quantity": records.of_repairs("units")[rows].astype(np.int64),
            "unit_cost_eur": pl.Series(cost).cast(pl.Decimal(10, 2)),
            "created_at": fitted,
            "updated_at": fitted,
        }
    )


@dataclass
class _Moves:
    """Stock movements in simulation terms (local seconds)."""

    store: np.ndarray
    part: np.ndarray
    quantity: np.ndarray
    occurred: np.ndarray
    placed: np.ndarray | None = None  # when the order was placed (receipts)
    repair: np.ndarray | None = None  # repairs.id (repair_use)

    def select(self, mask: np.ndarray) -> _Moves:
        return _Moves(*(None if x is None else x[mask] for x in self._fields()))

    def concat(self, other: _Moves) -> _Moves:
        return _Moves(
            *(None if a is None or b is None else np.concatenate([a, b])
              for a, b in zip(self._fields(), other._fields(), strict=True))
        )  # fmt: skip

    def _fields(self) -> tuple:
        return (self.store, self.part, self.quantity, self.occurred, self.placed, self.repair)

    @property
    def size(self) -> int:
        return self.store.size


@dataclass
class _Spoiled:
    flag: np.ndarray  # [receipt] 1 where the receipt carried one extra unit that leaves again
    moves: _Moves


def _spoiled_units(
    rng: np.random.Generator, receipts: _Moves, end: int
) -> tuple[_Spoiled, _Spoiled]:
    """Receipts with one damaged unit sent back, and receipts whose goods-in count is corrected
    by one. Both arrive as one extra unit that leaves 30 minutes later, so stock on hand never
    drops below what the repairs rely on."""
    draw = rng.random(receipts.size)
    later = receipts.occurred + 1800
    damaged = (draw < DAMAGED_ON_ARRIVAL_RATE) & (later < end)
    corrected = (draw > 1 - COUNT_CORRECTION_RATE) & (later < end)
    spoiled = []
    for mask in (damaged, corrected):
        moves = _Moves(
            store=receipts.store[mask], part=receipts.part[mask],
            quantity=np.full(int(mask.sum()), -1), occurred=later[mask],
        )  # fmt: skip
        spoiled.append(_Spoiled(flag=mask.astype(np.int64), moves=moves))
    return spoiled[0], spoiled[1]


def _movements_frame(world: World, parts: list[tuple[str, _Moves]]) -> pl.DataFrame:
    frames = []
    for reason, moves in parts:
        repair = moves.repair if moves.repair is not None else np.zeros(moves.size, np.int64)
        frames.append(
            pl.DataFrame(
                {
                    "store_id": moves.store + 1,
                    "part_id": moves.part + 1,
                    "quantity": moves.quantity.astype(np.int64),
                    "reason": np.full(moves.size, reason),
                    "repair_id": repair,
                    "occurred_at": utc(world, moves.store, moves.occurred),
                    "_order": world.calendar.to_utc(moves.store, moves.occurred) * 4
                    + _REASON_ORDER.index(reason),
                }
            )
        )
    frame = pl.concat(frames).sort("_order", "store_id", "part_id", maintain_order=True)
    return frame.with_columns(
        id=pl.int_range(1, frame.height + 1, dtype=pl.Int64),
        repair_id=pl.col("repair_id").replace(0, None),
        created_at="occurred_at",
        updated_at="occurred_at",
    ).select("id", "store_id", "part_id", "quantity", "reason", "repair_id", "occurred_at",
             "created_at", "updated_at", "_order")  # fmt: skip


def _levels_frame(
    world: World,
    ledger: PartsLedger,
    movements: pl.DataFrame,
    on_order: _Moves,
    replenished: _Moves,
) -> pl.DataFrame:
    n_parts = len(world.catalogue.part_cost)
    ordered = np.zeros((world.stores.count, n_parts), np.int64)
    np.add.at(ordered, (on_order.store, on_order.part), on_order.quantity)
    weekly = np.zeros((world.stores.count, n_parts))
    np.add.at(weekly, (replenished.store, replenished.part), replenished.quantity)
    weeks = max(world.window.days / 7, 1)
    summary = movements.group_by("store_id", "part_id").agg(
        quantity_on_hand=pl.col("quantity").sum(),
        created_at=pl.col("occurred_at").min(),
        updated_at=pl.col("occurred_at").max(),
    )
    store, part = summary["store_id"].to_numpy() - 1, summary["part_id"].to_numpy() - 1
    base = ledger.base_stock[store, part]
    return (
        summary.with_columns(
            quantity_on_hand=pl.col("quantity_on_hand").cast(pl.Int64),
            quantity_on_order=pl.Series(ordered[store, part]),
            reorder_point=pl.Series(base),
            reorder_quantity=pl.Series(
                np.where(base > 0, np.maximum(np.round(weekly[store, part] / weeks), 1), 0).astype(
                    np.int64
                )
            ),
        )
        .sort("store_id", "part_id")
        .with_columns(id=pl.int_range(1, summary.height + 1, dtype=pl.Int64))
        .select(
            "id",
            "store_id",
            "part_id",
            "quantity_on_hand",
            "quantity_on_order",
            "reorder_point",
            "reorder_quantity",
            "created_at",
            "updated_at",
        )
    )
