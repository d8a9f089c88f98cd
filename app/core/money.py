"""Money arithmetic in Decimal with one rounding rule (ROUND_HALF_UP) for the whole system."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
UNIT_PRICE_QUANTUM = Decimal("0.0001")
PERCENT_QUANTUM = Decimal("0.01")
HUNDRED = Decimal(100)
ZERO = Decimal(0)


def to_decimal(value: object) -> Decimal:
    """Convert ``value`` to Decimal without passing through float; raise ValueError when it is not a number."""
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, bool):
        raise ValueError("a boolean is not an amount")
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        # repr() gives the shortest string that round-trips, so 0.1 becomes Decimal("0.1").
        result = Decimal(repr(value))
    elif isinstance(value, str):
        text = value.strip().replace(",", "").replace("\u00a0", "").replace(" ", "")
        try:
            result = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"not a number: {value!r}") from None
    else:
        raise ValueError(f"not a number: {value!r}")
    if not result.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return result


def round_money(value: object) -> Decimal:
    """Round an amount to cents, half up."""
    return to_decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def round_unit_price(value: object) -> Decimal:
    """Round a unit price to four decimals, half up."""
    return to_decimal(value).quantize(UNIT_PRICE_QUANTUM, rounding=ROUND_HALF_UP)


def line_amount(quantity: object, unit_price: object, discount_percent: object = 0) -> Decimal:
    """Return quantity × unit price × (1 − discount %), rounded to cents once, at the end."""
    gross = to_decimal(quantity) * to_decimal(unit_price)
    factor = (HUNDRED - to_decimal(discount_percent)) / HUNDRED
    return round_money(gross * factor)


@dataclass(frozen=True)
class TaxSplit:
    net: Decimal
    tax: Decimal
    gross: Decimal


def split_tax(amount: object, rate_percent: object, prices_include_tax: bool) -> TaxSplit:
    """Split an amount into net, tax and gross; the tax is what makes the two ends meet."""
    amount_d = round_money(amount)
    rate = to_decimal(rate_percent) / HUNDRED
    if prices_include_tax:
        gross = amount_d
        net = round_money(gross / (1 + rate))
        return TaxSplit(net=net, tax=gross - net, gross=gross)
    net = amount_d
    tax = round_money(net * rate)
    return TaxSplit(net=net, tax=tax, gross=net + tax)


def margin_percent(net_price: object, cost: object) -> Decimal | None:
    """Return (price − cost) / price in percent, or None when the price is zero."""
    price = to_decimal(net_price)
    if price == ZERO:
        return None
    return ((price - to_decimal(cost)) / price * HUNDRED).quantize(PERCENT_QUANTUM, rounding=ROUND_HALF_UP)
