"""What a repair costs: the quote at the desk, the final price, discounts and labour time."""

from __future__ import annotations

import numpy as np

from data.generator.catalogue import Catalogue

PRICE_POSITION_NOISE = 0.12  # sd of a quote's position within the price list's low..high range
PRICE_INFLATION = 0.025  # list prices rise 2.5 % a year (history prices are deflated from today)
PART_COST_INFLATION = 0.03  # part costs rise 3 % a year
PART_COST_NOISE = 0.05  # lognormal sigma of a part's cost at purchase
# Final price vs quote when the first guess was right: same, higher (more damage found), lower.
FINAL_HIGHER_RATE = 0.10
FINAL_HIGHER_RATE_LIQUID_OR_BOARD = 0.30
FINAL_HIGHER_FACTOR = (1.10, 1.45)
FINAL_LOWER_RATE = 0.04
FINAL_LOWER_FACTOR = (0.80, 0.92)
LOYALTY_DISCOUNT_RATE = 0.12  # returning customers: 10 % off this often
LOYALTY_DISCOUNT_SHARE = 0.10
VOUCHER_RATE = 0.03  # anyone: a 5 or 10 EUR voucher this often
WARRANTY_FEE_RATE = 0.2  # reworks are free, except for a small fee this often
WARRANTY_FEE_EUR = (15, 40)
LABOUR_NOISE = 0.20  # lognormal sigma of recorded labour minutes around speed × list minutes
MIN_PRICE_EUR = 19.0


def shop_price(amount: np.ndarray) -> np.ndarray:
    """Round to a shop price ending in 4 or 9 euros (89.00, 134.00)."""
    return np.maximum(5 * np.round(amount / 5) - 1, MIN_PRICE_EUR)


def list_prices(
    catalogue: Catalogue,
    model: np.ndarray,
    fault: np.ndarray,
    position: np.ndarray,
    years_before_end: np.ndarray,
) -> np.ndarray:
    """The price for ``fault`` on ``model`` at a position (0..1) in the price list's range."""
    category, klass = catalogue.model_category[model], catalogue.model_class[model]
    low = catalogue.price_low[fault, category, klass]
    high = catalogue.price_high[fault, category, klass]
    deflator = (1 + PRICE_INFLATION) ** -years_before_end
    return shop_price((low + (high - low) * position) * deflator)


def quote_positions(
    rng: np.random.Generator, catalogue: Catalogue, model: np.ndarray
) -> np.ndarray:
    """Dearer models within a class get quotes nearer the top of the range."""
    noise = rng.normal(0, PRICE_POSITION_NOISE, len(model))
    return np.clip(catalogue.model_price_position[model] + noise, 0, 1)


def final_prices(
    rng: np.random.Generator,
    quote: np.ndarray,
    correct_price: np.ndarray,
    guessed_right: np.ndarray,
    liquid_or_board: np.ndarray,
) -> np.ndarray:
    """The price charged: the true fault's price when the first guess was wrong, otherwise the
    quote, sometimes more (extra damage found) and sometimes less."""
    n = len(quote)
    draw = rng.random(n)
    higher_rate = np.where(liquid_or_board, FINAL_HIGHER_RATE_LIQUID_OR_BOARD, FINAL_HIGHER_RATE)
    higher = shop_price(quote * rng.uniform(*FINAL_HIGHER_FACTOR, n))
    lower = shop_price(quote * rng.uniform(*FINAL_LOWER_FACTOR, n))
    adjusted = np.where(
        draw < higher_rate, higher, np.where(draw > 1 - FINAL_LOWER_RATE, lower, quote)
    )
    return np.where(guessed_right, adjusted, correct_price)


def discounts(rng: np.random.Generator, final: np.ndarray, returning: np.ndarray) -> np.ndarray:
    n = len(final)
    loyalty = returning & (rng.random(n) < LOYALTY_DISCOUNT_RATE)
    voucher = ~loyalty & (rng.random(n) < VOUCHER_RATE)
    amount = np.where(
        loyalty,
        np.round(final * LOYALTY_DISCOUNT_SHARE, 2),
        np.where(voucher, rng.choice([5.0, 10.0], n), 0.0),
    )
    return np.minimum(amount, final)


def warranty_fees(rng: np.random.Generator, n: int) -> np.ndarray:
    charged = rng.random(n) < WARRANTY_FEE_RATE
    return np.where(charged, rng.integers(*WARRANTY_FEE_EUR, n, endpoint=True).astype(float), 0.0)


def labour_minutes(
    rng: np.random.Generator,
    catalogue: Catalogue,
    model: np.ndarray,
    fault: np.ndarray,
    speed: np.ndarray,
) -> np.ndarray:
    """Bench minutes recorded: list minutes × technician speed × noise, in steps of 5."""
    listed = catalogue.labour_minutes[
        fault, catalogue.model_category[model], catalogue.model_class[model]
    ]
    minutes = listed * speed * rng.lognormal(0, LABOUR_NOISE, len(model))
    return np.maximum(5 * np.round(minutes / 5), 5).astype(np.int64)


def part_unit_costs(
    rng: np.random.Generator, catalogue: Catalogue, part: np.ndarray, years_before_end: np.ndarray
) -> np.ndarray:
    cost = catalogue.part_cost[part] * (1 + PART_COST_INFLATION) ** -years_before_end
    return np.round(cost * rng.lognormal(0, PART_COST_NOISE, len(part)), 2)
