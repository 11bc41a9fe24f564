"""Customers and their devices: names, contact details and consents by country, acquisition
channels, and the re-registrations that make duplicate customers."""

from __future__ import annotations

import unicodedata
from functools import cache

import numpy as np
import polars as pl

from data.generator.stores import CITIES, Stores
from data.generator.symptoms import VOCABULARY_DIR
from ops.schema import ACQUISITION_CHANNELS

NAME_GROUP = {
    "DE": "de", "AT": "de", "CH": "de", "LU": "fr", "NL": "nl", "BE": "nl", "FR": "fr",
    "ES": "es", "IT": "it", "PT": "pt", "DK": "nordic", "SE": "nordic", "NO": "nordic",
    "FI": "nordic", "IE": "en", "GR": "el",
}  # fmt: skip  # every other country: "east"
FOREIGN_NAME_RATE = 0.15  # customers whose name comes from another country's list
EMAIL_DOMAINS = {
    "de": ("gmx.de", "web.de", "gmail.com", "t-online.de", "outlook.com", "yahoo.de"),
    "nl": ("gmail.com", "hotmail.com", "outlook.com", "ziggo.nl", "kpnmail.nl", "telenet.be"),
    "fr": ("gmail.com", "orange.fr", "free.fr", "hotmail.fr", "laposte.net", "outlook.fr"),
    "es": ("gmail.com", "hotmail.com", "yahoo.es", "outlook.es", "telefonica.net"),
    "it": ("gmail.com", "libero.it", "hotmail.it", "virgilio.it", "yahoo.it"),
    "pt": ("gmail.com", "sapo.pt", "hotmail.com", "outlook.pt"),
    "nordic": ("gmail.com", "hotmail.com", "outlook.com", "live.se", "icloud.com"),
    "en": ("gmail.com", "eircom.net", "hotmail.com", "icloud.com", "yahoo.ie"),
    "el": ("gmail.com", "yahoo.gr", "hotmail.com", "otenet.gr"),
    "east": ("gmail.com", "wp.pl", "seznam.cz", "outlook.com", "freemail.hu", "centrum.sk"),
}
# Calling code, mobile prefixes and subscriber digits for phone numbers.
MOBILE_NUMBERS = {
    "DE": ("49", ("151", "160", "170", "176"), 8),
    "AT": ("43", ("664", "676", "699"), 7),
    "CH": ("41", ("76", "78", "79"), 7),
    "NL": ("31", ("6",), 8),
    "BE": ("32", ("470", "475", "486"), 6),
    "FR": ("33", ("6", "7"), 8),
    "ES": ("34", ("6", "7"), 8),
    "IT": ("39", ("320", "333", "347"), 7),
    "PT": ("351", ("91", "93", "96"), 7),
    "DK": ("45", ("2", "3", "4"), 7),
    "SE": ("46", ("70", "72", "73"), 7),
    "NO": ("47", ("4", "9"), 7),
    "FI": ("358", ("40", "44", "50"), 7),
    "IE": ("353", ("83", "85", "87"), 7),
    "GR": ("30", ("69",), 8),
    "LU": ("352", ("621", "661", "691"), 6),
    "PL": ("48", ("5", "6", "7"), 8),
    "CZ": ("420", ("6", "7"), 8),
    "HU": ("36", ("20", "30", "70"), 7),
    "SK": ("421", ("9",), 8),
    "SI": ("386", ("31", "41", "51"), 6),
    "EE": ("372", ("5",), 7),
    "LV": ("371", ("2",), 7),
}
DEFAULT_MOBILE = ("00", ("6",), 8)
MISSING_PHONE_RATE = 0.04
MARKETING_CONSENT_RATE = 0.35
SMS_CONSENT_RATE = 0.55
OTHER_CITY_RATE = 0.10
MISSING_CITY_RATE = 0.05
# Acquisition channel mix at the start and at the end of the history (interpolated between).
ACQUISITION_MIX = {
    "walk_in": (0.38, 0.28), "web": (0.20, 0.22), "search_ad": (0.14, 0.18),
    "social": (0.06, 0.14), "referral": (0.17, 0.14), "partner": (0.05, 0.04),
}  # fmt: skip
_EMAIL_STYLES = 7


@cache
def _names() -> pl.DataFrame:
    names = pl.read_csv(VOCABULARY_DIR / "names.csv", schema={
        "group": pl.String, "kind": pl.String, "name": pl.String,
    })  # fmt: skip
    return names.with_columns(ascii=pl.Series([_ascii(n) for n in names["name"]], dtype=pl.String))


def _ascii(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum())


def people(
    rng: np.random.Generator,
    stores: Stores,
    store: np.ndarray,
    progress: np.ndarray,
) -> pl.DataFrame:
    """Contact details for new customers of ``store``; ``progress`` (0..1) is how far into the
    history they registered."""
    n = len(store)
    groups = sorted(EMAIL_DOMAINS)
    store_group = np.array([groups.index(NAME_GROUP.get(c, "east")) for c in stores.country_codes])
    group = np.where(
        rng.random(n) < FOREIGN_NAME_RATE, rng.integers(len(groups), size=n), store_group[store]
    )
    first, first_ascii = _sample_names(rng, groups, group, "first")
    last, last_ascii = _sample_names(rng, groups, group, "last")
    domains = {g: EMAIL_DOMAINS[name] for g, name in enumerate(groups)}
    frame = pl.DataFrame(
        {
            "first_name": first,
            "last_name": last,
            "email": _emails(rng, first_ascii, last_ascii, _pick_per_key(rng, group, domains)),
            "phone": _phones(rng, stores, store),
            "city": _cities(rng, stores, store),
            "acquisition_channel": _acquisition_channels(rng, progress),
            "marketing_consent": rng.random(n) < MARKETING_CONSENT_RATE,
            "sms_consent": rng.random(n) < SMS_CONSENT_RATE,
        }
    )
    return frame.with_columns(
        frame["phone"].clone().scatter(np.flatnonzero(rng.random(n) < MISSING_PHONE_RATE), None)
    )


def _sample_names(
    rng: np.random.Generator, groups: list[str], group: np.ndarray, kind: str
) -> tuple[pl.Series, pl.Series]:
    names = _names().filter(pl.col("kind") == kind)
    options = {
        g: np.flatnonzero((names["group"] == name).to_numpy()) for g, name in enumerate(groups)
    }
    index = _pick_per_key(rng, group, options)
    return names["name"].gather(index), names["ascii"].gather(index)


def _pick_per_key(
    rng: np.random.Generator, key: np.ndarray, options: dict[int, np.ndarray | tuple]
) -> np.ndarray:
    """For each row, a uniformly chosen element of ``options[key]`` (keys are small ints)."""
    keys = sorted(options)
    position = np.searchsorted(keys, key)
    sizes = np.array([len(options[k]) for k in keys])
    flat = np.concatenate([np.asarray(options[k]) for k in keys])
    starts = np.r_[0, np.cumsum(sizes)[:-1]]
    draw = (rng.random(len(key)) * sizes[position]).astype(np.int64)
    return flat[starts[position] + draw]


def _emails(
    rng: np.random.Generator, first: pl.Series, last: pl.Series, domain: np.ndarray
) -> pl.Series:
    n = len(first)
    frame = pl.DataFrame(
        {
            "first": first,
            "last": last,
            "style": rng.integers(0, _EMAIL_STYLES, n),
            "digits": rng.integers(1, 99, n),
            "year": rng.integers(1955, 2008, n),
            "domain": domain,
        }
    )
    col = pl.col
    local = (
        pl.when(col("style") == 0).then(col("first") + "." + col("last"))
        .when(col("style") == 1).then(col("first") + col("last"))
        .when(col("style") == 2).then(col("first").str.slice(0, 1) + "." + col("last"))
        .when(col("style") == 3).then(col("first") + "_" + col("last"))
        .when(col("style") == 4).then(col("first") + "." + col("last") + col("digits").cast(str))
        .when(col("style") == 5).then(col("first") + col("year").cast(pl.String))
        .otherwise(col("last") + "." + col("first"))
    )  # fmt: skip
    return frame.select(email=local + "@" + col("domain")).to_series()


def _phones(rng: np.random.Generator, stores: Stores, store: np.ndarray) -> pl.Series:
    plans = [MOBILE_NUMBERS.get(c, DEFAULT_MOBILE) for c in stores.country_codes]
    code = pl.Series([p[0] for p in plans], dtype=pl.String).gather(store)
    digits = np.array([p[2] for p in plans])[store]
    prefix = _pick_per_key(rng, store, {s: p[1] for s, p in enumerate(plans)})
    subscriber = (rng.random(len(store)) * 10.0**digits).astype(np.int64)
    frame = pl.DataFrame({"code": code, "prefix": prefix, "number": subscriber, "digits": digits})
    number = pl.col("number").cast(pl.String).str.zfill(pl.col("digits"))
    return frame.select(
        phone=pl.concat_str(pl.lit("+"), "code", pl.lit(" "), "prefix", pl.lit(" "), number)
    ).to_series()


def _cities(rng: np.random.Generator, stores: Stores, store: np.ndarray) -> pl.Series:
    """Mostly the store's city, sometimes another city of the country, sometimes unknown."""
    same_country = {
        s: tuple(name for name, code, _, _ in CITIES if code == country) or (stores.cities[s],)
        for s, country in enumerate(stores.country_codes)
    }
    draw = rng.random(len(store))
    home = np.array(stores.cities)[store]
    chosen = np.where(draw < OTHER_CITY_RATE, _pick_per_key(rng, store, same_country), home)
    return pl.Series(chosen, dtype=pl.String).scatter(
        np.flatnonzero(draw > 1 - MISSING_CITY_RATE), None
    )


def _acquisition_channels(rng: np.random.Generator, progress: np.ndarray) -> pl.Series:
    start = np.array([ACQUISITION_MIX[c][0] for c in ACQUISITION_CHANNELS])
    end = np.array([ACQUISITION_MIX[c][1] for c in ACQUISITION_CHANNELS])
    shares = start[None, :] + (end - start)[None, :] * progress[:, None]
    cumulative = np.cumsum(shares / shares.sum(axis=1, keepdims=True), axis=1)
    index = np.minimum((cumulative < rng.random((len(progress), 1))).sum(axis=1), len(start) - 1)
    return pl.Series(ACQUISITION_CHANNELS, dtype=pl.String).gather(index)


def re_registered(rng: np.random.Generator, originals: pl.DataFrame) -> pl.DataFrame:
    """The same people registered a second time: names in other casing, email and phone written
    differently (capitals, dots dropped, a +tag, another provider, or left out)."""
    n = originals.height
    col = pl.col
    frame = originals.with_columns(
        name_style=pl.Series(rng.integers(0, 3, n)),
        email_style=pl.Series(rng.integers(0, 5, n)),
        phone_style=pl.Series(rng.integers(0, 3, n)),
        tag=pl.Series(rng.choice(["repair", "shop", "fix"], n)),
    )
    local, domain = (
        col("email").str.split_exact("@", 1).struct.field("field_0"),
        col("email").str.split_exact("@", 1).struct.field("field_1"),
    )
    undotted = local.str.replace_all(".", "", literal=True)
    digits = col("phone").str.replace_all(" ", "")
    national = col("phone").str.split_exact(" ", 2)
    return frame.select(
        first_name=pl.when(col("name_style") == 1).then(col("first_name").str.to_uppercase())
        .when(col("name_style") == 2).then(col("first_name").str.to_lowercase())
        .otherwise("first_name"),
        last_name=pl.when(col("name_style") == 1).then(col("last_name").str.to_uppercase())
        .when(col("name_style") == 2).then(col("last_name").str.to_lowercase())
        .otherwise("last_name"),
        email=pl.when(col("email_style") == 0).then(col("email").str.to_uppercase())
        .when(col("email_style") == 1).then(undotted + "@" + domain)
        .when(col("email_style") == 2).then(local + "+" + col("tag") + "@" + domain)
        .when(col("email_style") == 3).then(local + "@" + pl.lit("hotmail.com"))
        .otherwise(None),
        phone=pl.when(col("phone_style") == 0).then(digits)
        .when(col("phone_style") == 1)
        .then("0" + national.struct.field("field_1") + " " + national.struct.field("field_2"))
        .otherwise("00" + digits.str.slice(1)),
        city="city",
        acquisition_channel="acquisition_channel",
        marketing_consent="marketing_consent",
        sms_consent="sms_consent",
    )  # fmt: skip
