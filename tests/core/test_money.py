"""Money arithmetic: Decimal only, one rounding rule (ROUND_HALF_UP), totals that add up."""

from decimal import Decimal

import pytest

from app.core.money import line_amount, margin_percent, round_money, round_unit_price, split_tax, to_decimal

# --- to_decimal ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1,234.50", "1234.50"),
        ("  1 234.5 ", "1234.5"),
        ("1\u00a0000", "1000"),
        ("-12,000.0001", "-12000.0001"),
        ("0", "0"),
        (42, "42"),
        (Decimal("3.14159"), "3.14159"),
    ],
)
def test_to_decimal_reads_what_people_type(value, expected):
    result = to_decimal(value)
    assert isinstance(result, Decimal)
    assert result == Decimal(expected)
    assert str(result) == expected


@pytest.mark.parametrize(("value", "expected"), [(0.1, "0.1"), (2.675, "2.675"), (1.005, "1.005"), (-0.3, "-0.3")])
def test_to_decimal_takes_floats_by_their_shortest_repr_not_their_binary_value(value, expected):
    # Decimal(0.1) would be 0.1000000000000000055511151231257827...
    assert str(to_decimal(value)) == expected


@pytest.mark.parametrize(
    "value",
    [True, False, "NaN", "nan", "Infinity", "-inf", float("nan"), float("inf"), float("-inf"), Decimal("NaN")],
)
def test_to_decimal_refuses_booleans_and_non_finite_numbers(value):
    with pytest.raises(ValueError):
        to_decimal(value)


@pytest.mark.parametrize("value", ["", "   ", "abc", "12abc", "1.2.3", "¥12", None, [], object()])
def test_to_decimal_refuses_garbage_with_value_error(value):
    with pytest.raises(ValueError):
        to_decimal(value)


# --- rounding --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (2.675, "2.68"),  # as a binary float 2.675 is 2.67499999…; rounding the typed value gives .68
        ("2.675", "2.68"),
        ("0.125", "0.13"),
        ("0.135", "0.14"),
        ("1.005", "1.01"),
        ("0.124999", "0.12"),
        ("-2.675", "-2.68"),  # half up means away from zero for negatives too
        ("-0.125", "-0.13"),
        ("-0.124", "-0.12"),
        ("7", "7.00"),
        ("1,000.555", "1000.56"),
    ],
)
def test_round_money_is_half_up_to_cents(value, expected):
    result = round_money(value)
    assert str(result) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1.23455", "1.2346"),
        ("1.23454", "1.2345"),
        ("0.00005", "0.0001"),
        ("-0.00005", "-0.0001"),
        (12.5, "12.5000"),
    ],
)
def test_round_unit_price_is_half_up_to_four_decimals(value, expected):
    assert str(round_unit_price(value)) == expected


def test_rounding_refuses_non_numbers():
    with pytest.raises(ValueError):
        round_money("twelve")
    with pytest.raises(ValueError):
        round_unit_price(True)


# --- line amounts ----------------------------------------------------------------------------


def test_line_amount_multiplies_and_rounds_to_cents():
    assert str(line_amount(3, "12.5")) == "37.50"
    assert str(line_amount("2", "0.3333")) == "0.67"
    assert str(line_amount(10, "99.99", 100)) == "0.00"


def test_line_amount_rounds_once_at_the_end_not_the_unit_price_first():
    # 2.5 × 1.005 = 2.5125 → 2.51; rounding the price to 1.01 first would give 2.525 → 2.53.
    assert str(line_amount("2.5", "1.005")) == "2.51"


def test_line_amount_rounds_once_after_the_discount():
    # 3 × 0.335 = 1.005, × 0.9 = 0.9045 → 0.90; rounding the gross first would give 1.01 × 0.9 → 0.91.
    assert str(line_amount(3, "0.335", 10)) == "0.90"
    # 7 × 14.2857 = 99.9999, less 12.5 % = 87.4999125 → 87.50
    assert str(line_amount(7, "14.2857", "12.5")) == "87.50"
    # 1 × 0.05 less 10 % = 0.045 → 0.05 (half up), not 0.04
    assert str(line_amount(1, "0.05", 10)) == "0.05"


def test_line_amount_accepts_typed_strings_and_refuses_garbage():
    assert str(line_amount("1,000", "1,234.5678")) == "1234567.80"
    with pytest.raises(ValueError):
        line_amount("two", "1")


# --- tax -------------------------------------------------------------------------------------


def test_split_tax_on_net_prices_adds_the_tax():
    split = split_tax("100", "13", prices_include_tax=False)
    assert (str(split.net), str(split.tax), str(split.gross)) == ("100.00", "13.00", "113.00")


def test_split_tax_on_gross_prices_takes_the_tax_out():
    split = split_tax("113", "13", prices_include_tax=True)
    assert (str(split.net), str(split.tax), str(split.gross)) == ("100.00", "13.00", "113.00")


def test_split_tax_on_gross_prices_keeps_the_gross_exact_and_rounds_the_net():
    # 100 / 1.13 = 88.4955… → net 88.50; the tax is what is left, so the gross stays 100.00.
    split = split_tax("100", "13", prices_include_tax=True)
    assert (str(split.net), str(split.tax), str(split.gross)) == ("88.50", "11.50", "100.00")


def test_split_tax_rounds_the_tax_half_up():
    # 0.05 × 13 % = 0.0065 → 0.01
    split = split_tax("0.05", "13", prices_include_tax=False)
    assert (str(split.tax), str(split.gross)) == ("0.01", "0.06")


def test_split_tax_rounds_the_amount_to_cents_first():
    split = split_tax("10.005", "0", prices_include_tax=False)
    assert (str(split.net), str(split.tax), str(split.gross)) == ("10.01", "0.00", "10.01")


@pytest.mark.parametrize("prices_include_tax", [False, True])
@pytest.mark.parametrize("rate", ["0", "3", "6", "9", "13", "16.5"])
def test_split_tax_net_plus_tax_is_always_the_gross(rate, prices_include_tax):
    amounts = [Decimal(n) / 100 for n in range(0, 100_001, 997)] + [Decimal("-57.77"), Decimal("0.01")]
    for amount in amounts:
        split = split_tax(amount, rate, prices_include_tax=prices_include_tax)
        assert split.net + split.tax == split.gross, (amount, rate)
        for part in (split.net, split.tax, split.gross):
            assert part == part.quantize(Decimal("0.01")), (amount, rate, part)
        assert (split.gross if prices_include_tax else split.net) == round_money(amount)


# --- margin ----------------------------------------------------------------------------------


def test_margin_percent_is_relative_to_the_price():
    assert str(margin_percent("100", "75")) == "25.00"
    assert str(margin_percent("3", "1")) == "66.67"
    assert str(margin_percent("80", "100")) == "-25.00"
    assert str(margin_percent("10", "10")) == "0.00"


@pytest.mark.parametrize("price", [0, "0", "0.00", Decimal("-0")])
def test_margin_percent_is_none_when_the_price_is_zero(price):
    assert margin_percent(price, "5") is None
