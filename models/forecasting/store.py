"""Where trained demand forecasts live, and how pages and dashboards read them.

Forecasts never go into the published warehouse file (ETL replaces it, and DuckDB lets one
process write a file): each registry version of kind ``forecast`` gets a directory of Parquet
files beside the warehouse, ``$REPAIRLENS_DATA_DIR/forecasts/v<N>/``, written to a temporary
directory and renamed into place, so a reader sees all of a version or none of it.

| file | grain |
|---|---|
| ``forecasts.parquet`` | one row per series × forecast period (``yhat`` and its bounds) |
| ``series.parquet`` | one row per series: chosen method, backtest MASE vs seasonal naive's |
| ``history.parquet`` | one row per series × period of the history the model was fitted on |

Every row carries ``model_version``. Readers take the production version from the registry
(:func:`production_forecasts`) and so follow promotions without a restart.

Tables computed from the same training run for other pages go in the same directory
(:func:`write_table`, :func:`read_table`), e.g. ``inventory_backtest.parquet``: one row per
ordering rule of the parts-inventory replay under the default policy.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from core.settings import Settings
from models import registry

KIND = "forecast"
FILES = ("forecasts", "series", "history")


@dataclass(frozen=True)
class ForecastSet:
    """One model version's forecasts, per-series scores and fitted history."""

    version: int
    forecasts: pd.DataFrame
    series: pd.DataFrame
    history: pd.DataFrame

    def of(self, series_id: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(history, forecast) rows of one series, in date order."""
        history = self.history[self.history["series_id"] == series_id].sort_values("ds")
        forecast = self.forecasts[self.forecasts["series_id"] == series_id].sort_values("ds")
        return history, forecast


def forecasts_dir(settings: Settings) -> Path:
    return settings.data_dir / "forecasts"


def version_dir(settings: Settings, version: int) -> Path:
    return forecasts_dir(settings) / f"v{version}"


def write_forecasts(
    settings: Settings,
    version: int,
    forecasts: pd.DataFrame,
    series: pd.DataFrame,
    history: pd.DataFrame,
) -> Path:
    """Publish one version's tables, each with a ``model_version`` column; returns the directory."""
    root = forecasts_dir(settings)
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".incoming-", dir=root))
    try:
        for name, frame in zip(FILES, (forecasts, series, history), strict=True):
            frame.assign(model_version=version).to_parquet(staging / f"{name}.parquet", index=False)
        final = version_dir(settings, version)
        if final.exists():  # left by a run that died after publishing but before registering
            shutil.rmtree(final)
        os.replace(staging, final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return final


def read_forecasts(
    settings: Settings, version: int, series_ids: list[str] | None = None
) -> ForecastSet | None:
    """One version's tables, optionally limited to ``series_ids``; None if it was not written."""
    directory = version_dir(settings, version)
    if not all((directory / f"{name}.parquet").exists() for name in FILES):
        return None
    filters = None if series_ids is None else [("series_id", "in", list(series_ids))]
    tables = [pd.read_parquet(directory / f"{name}.parquet", filters=filters) for name in FILES]
    return ForecastSet(version, *tables)


def production_forecasts(
    settings: Settings, series_ids: list[str] | None = None
) -> ForecastSet | None:
    """The production forecast version's tables, or None when no forecast is in production."""
    version = registry.production_version(KIND, settings=settings)
    if version is None:
        return None
    return read_forecasts(settings, version, series_ids)


def write_table(settings: Settings, version: int, name: str, frame: pd.DataFrame) -> Path:
    """Add ``<name>.parquet`` (with ``model_version``) to a published version, atomically."""
    directory = version_dir(settings, version)
    staging = directory / f".incoming-{name}.parquet"
    frame.assign(model_version=version).to_parquet(staging, index=False)
    final = directory / f"{name}.parquet"
    os.replace(staging, final)
    return final


def read_table(settings: Settings, version: int, name: str) -> pd.DataFrame | None:
    """A table added with :func:`write_table`; None when that version has none."""
    path = version_dir(settings, version) / f"{name}.parquet"
    return pd.read_parquet(path) if path.exists() else None
