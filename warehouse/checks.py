"""Data checks beside the marts: keys, references, enumerations and arithmetic invariants.

Every check is a query counting the rows of one table that break it; it passes when the count is 0.
The ETL runs them on its private copy before publishing and publishes nothing if one fails.

Checks can be *scoped*: given ``{table: SQL condition}`` for the rows a run wrote, a check looks
only at those rows of its table (an incremental run rewrites a few thousand rows of million-row
facts, and only those can have broken anything). Tables the run did not write are skipped, except
that a reference into a dimension the run rewrote is checked over the whole referring table.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from warehouse.catalogue import MARTS, TableSpec

# Money identities are exact DECIMAL(12,2) arithmetic; the tolerance only guards a rounding slip.
_CENT = "0.005"
_HOUR_TOLERANCE = "0.001"
EVERYTHING = "TRUE"


@dataclass(frozen=True)
class Check:
    name: str
    table: str  # the table whose rows are judged
    sql: str  # SELECT count(*) of violating rows; ``{where}`` selects the rows of ``table``
    references: str | None = None  # the table a reference check looks up
    scoped_sql: str | None = None  # a cheaper form for a narrow ``{where}``, if ``sql`` is slow


@dataclass(frozen=True)
class CheckResult:
    name: str
    violations: int

    @property
    def passed(self) -> bool:
        return self.violations == 0


def key_checks(spec: TableSpec) -> list[Check]:
    """Primary key unique and not null."""
    key = ", ".join(spec.primary_key)
    nulls = " OR ".join(f"{c} IS NULL" for c in spec.primary_key)
    same_key = " AND ".join(f"w.{c} = t.{c}" for c in spec.primary_key)
    if len(spec.primary_key) == 1:
        # Rows beyond the first of each key: a distinct count costs about half a GROUP BY
        # listing the duplicated keys on the multi-million-row facts. Null keys are left to
        # primary_key_not_null.
        unique = f"SELECT count({key}) - count(DISTINCT {key}) FROM {spec.name}"
    else:
        unique = (
            f"SELECT count(*) FROM (SELECT {key} FROM {spec.name} GROUP BY {key} "
            "HAVING count(*) > 1)"
        )
    return [
        Check(
            f"{spec.name}.primary_key_not_null",
            spec.name,
            f"SELECT count(*) FROM {spec.name} WHERE ({nulls}) AND {{where}}",
        ),
        Check(
            f"{spec.name}.primary_key_unique",
            spec.name,
            unique,
            # A duplicate of a written key may sit among the unwritten rows: look there too.
            scoped_sql=f"SELECT count(*) FROM (SELECT {key} FROM {spec.name} AS t WHERE EXISTS "
            f"(SELECT 1 FROM {spec.name} AS w WHERE {{where}} AND {same_key}) "
            f"GROUP BY {key} HAVING count(*) > 1)",
        ),
    ]


def reference_checks(spec: TableSpec) -> list[Check]:
    """Every non-null foreign key finds its row."""
    checks = []
    for column, target in spec.foreign_keys.items():
        table, key = target.split(".")
        checks.append(
            Check(
                f"{spec.name}.{column}_references_{table}",
                spec.name,
                # An explicit anti join: DuckDB plans the NOT EXISTS form as a slower mark join.
                f"SELECT count(*) FROM (SELECT {column} FROM {spec.name} "
                f"WHERE {column} IS NOT NULL AND {{where}}) AS child "
                f"ANTI JOIN {table} AS parent ON parent.{key} = child.{column}",
                references=table,
            )
        )
    return checks


def accepted_value_checks(spec: TableSpec) -> list[Check]:
    checks = []
    for column, values in spec.accepted_values.items():
        listed = ", ".join(f"'{v}'" for v in values)
        checks.append(
            Check(
                f"{spec.name}.{column}_accepted_values",
                spec.name,
                f"SELECT count(*) FROM {spec.name} WHERE {column} NOT IN ({listed}) AND {{where}}",
            )
        )
    return checks


STAGE_SUM = (
    "received_to_diagnosed_hours + awaiting_parts_hours + in_repair_hours + quality_check_hours "
    "+ ready_to_collected_hours"
)


def _repairs(name: str, condition: str) -> Check:
    return Check(
        f"fct_repairs.{name}",
        "fct_repairs",
        f"SELECT count(*) FROM fct_repairs WHERE ({condition}) AND {{where}}",
    )


INVARIANTS = [
    _repairs(
        "revenue_is_parts_plus_labour_minus_discount",
        f"abs(revenue_eur - (parts_cost_eur + labour_revenue_eur - discount_eur)) > {_CENT}",
    ),
    _repairs(
        "gross_margin_is_revenue_minus_parts_cost",
        f"abs(gross_margin_eur - (revenue_eur - parts_cost_eur)) > {_CENT}",
    ),
    _repairs(
        "stages_add_up_to_turnaround",
        "total_turnaround_hours IS NOT NULL "
        f"AND abs(total_turnaround_hours - ({STAGE_SUM})) > {_HOUR_TOLERANCE}",
    ),
    _repairs(
        "stage_hours_not_negative",
        "least(received_to_diagnosed_hours, awaiting_parts_hours, in_repair_hours, "
        "quality_check_hours, ready_to_collected_hours) < 0",
    ),
    _repairs(
        "money_not_negative",
        "least(price_eur, discount_eur, parts_cost_eur, paid_eur, refunded_eur) < 0",
    ),
    _repairs("csat_and_nps_in_range", "csat NOT BETWEEN 1 AND 5 OR nps NOT BETWEEN 0 AND 10"),
    _repairs(
        "first_time_fix_only_when_completed",
        "is_first_time_fix AND (NOT is_completed OR is_rework OR has_rework)",
    ),
    Check(
        "fct_repairs.parts_cost_matches_fct_parts_usage",
        "fct_repairs",
        "SELECT count(*) FROM fct_repairs AS r LEFT JOIN (SELECT repair_id, sum(cost_eur) AS cost "
        "FROM fct_parts_usage GROUP BY repair_id) AS u USING (repair_id) "
        f"WHERE abs(r.parts_cost_eur - coalesce(u.cost, 0)) > {_CENT} AND {{where}}",
    ),
    Check(
        "fct_repairs.one_row_per_staged_repair",
        "fct_repairs",
        # Two counts from metadata: cheap, so it ignores the scope.
        "SELECT abs((SELECT count(*) FROM fct_repairs) - (SELECT count(*) FROM stg_repairs))",
    ),
    Check(
        "fct_parts_usage.cost_is_quantity_times_unit_cost",
        "fct_parts_usage",
        "SELECT count(*) FROM fct_parts_usage "
        f"WHERE abs(cost_eur - quantity * unit_cost_eur) > {_CENT} AND {{where}}",
    ),
    Check(
        "dim_customer.canonical_customer_is_its_own_canonical",
        "dim_customer",
        "SELECT count(*) FROM dim_customer AS c JOIN dim_customer AS k "
        "ON k.customer_id = c.canonical_customer_id "
        "WHERE k.canonical_customer_id <> k.customer_id AND {where}",
    ),
    Check(
        "fct_inventory_daily.flows_not_negative",
        "fct_inventory_daily",
        "SELECT count(*) FROM fct_inventory_daily "
        "WHERE least(quantity_in, quantity_out, quantity_used) < 0 AND {where}",
    ),
]


def all_checks() -> list[Check]:
    checks: list[Check] = []
    for spec in MARTS:
        checks += key_checks(spec) + reference_checks(spec) + accepted_value_checks(spec)
    return checks + INVARIANTS


def scope_of(check: Check, scopes: dict[str, str] | None) -> str | None:
    """The condition ``check`` runs with, or None to skip it (see the module docstring)."""
    if scopes is None:
        return EVERYTHING
    if check.references is not None and scopes.get(check.references) == EVERYTHING:
        return EVERYTHING
    return scopes.get(check.table)


def run_checks(
    con: duckdb.DuckDBPyConnection,
    scopes: dict[str, str] | None = None,
) -> list[CheckResult]:
    """Run every check over everything, or over ``scopes``; every result."""
    results = []
    for check in all_checks():
        where = scope_of(check, scopes)
        if where is not None:
            sql = check.sql if where == EVERYTHING or not check.scoped_sql else check.scoped_sql
            count = con.execute(sql.format(where=where)).fetchall()[0][0]
            results.append(CheckResult(check.name, int(count)))
    return results
