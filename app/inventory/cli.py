"""``flask stock …``: commands for the stock ledger. They speak the language of the shell (LANG)."""

from __future__ import annotations

import unicodedata
from decimal import Decimal

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from app.extensions import db
from app.inventory import verify as checks

stock = AppGroup("stock", help="Stock ledger: check balances and reservations against the moves.")


def _width(text: str) -> int:
    # Chinese characters take two columns in a terminal.
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _pad(text: str, width: int, right: bool = False) -> str:
    gap = " " * (width - _width(text))
    return gap + text if right else text + gap


def _qty(value: Decimal | None) -> str:
    if value is None:
        return _("(missing)")
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def _signed(value: Decimal) -> str:
    text = _qty(value)
    return text if value <= 0 else "+" + text


def format_table(headers: list[str], rows: list[list[str]], numeric: set[int]) -> str:
    """Columns aligned for a terminal, numbers to the right."""
    widths = [max(_width(h), *(_width(r[i]) for r in rows)) if rows else _width(h) for i, h in enumerate(headers)]
    lines = ["  ".join(_pad(h, widths[i], i in numeric) for i, h in enumerate(headers)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        lines.append("  ".join(_pad(cell, widths[i], i in numeric) for i, cell in enumerate(row)).rstrip())
    return "\n".join(lines)


def report(differences: list[checks.Difference], limit: int) -> str:
    """The differences as a table, at most ``limit`` rows."""
    kinds = {
        checks.Kind.BALANCE: _("On hand at location"),
        checks.Kind.LEVEL: _("On hand in warehouse"),
        checks.Kind.RESERVED: _("Reserved in warehouse"),
    }
    shown = differences[:limit]
    names = checks.names_for(shown)
    rows = [
        [
            kinds[d.kind],
            names.products.get(d.product_id, f"#{d.product_id}"),
            names.warehouses.get(d.warehouse_id, f"#{d.warehouse_id}"),
            names.locations.get(d.location_id, f"#{d.location_id}") if d.location_id is not None else "",
            _qty(d.stored),
            _qty(d.expected),
            _signed(d.delta),
        ]
        for d in shown
    ]
    headers = [_("Figure"), _("Product"), _("Warehouse"), _("Location"), _("Stored"), _("From ledger"), _("Difference")]
    text = format_table(headers, rows, numeric={4, 5, 6})
    if len(differences) > limit:
        text += "\n" + _("… and %(n)d more.", n=len(differences) - limit)
    return text


@stock.command("verify")
@click.option("--repair", is_flag=True, help="Write the ledger's figures into the rows that differ.")
@click.option("--limit", default=200, show_default=True, help="Show at most this many differences.")
def stock_verify(repair: bool, limit: int) -> None:
    """Recompute every balance and reservation total from the ledger and report differences.

    Exits with status 1 when any are found (also when --repair fixed them), 0 when all match.
    """
    differences = checks.find_differences()
    db.session.rollback()  # a read only; a repair starts its own transaction under the locks
    if not differences:
        click.echo(_("No differences: every balance and reservation total matches the ledger."))
        return
    click.echo(report(differences, limit))
    counts = {kind: sum(1 for d in differences if d.kind == kind) for kind in checks.Kind}
    click.echo(
        _(
            "%(n)d difference(s): %(balances)d location balance(s), %(levels)d warehouse on-hand figure(s), "
            "%(reserved)d reserved figure(s).",
            n=len(differences),
            balances=counts[checks.Kind.BALANCE],
            levels=counts[checks.Kind.LEVEL],
            reserved=counts[checks.Kind.RESERVED],
        )
    )
    if repair:
        repaired = checks.repair(differences)
        db.session.commit()
        click.echo(_("%(n)d figure(s) repaired from the ledger.", n=len(repaired)))
        left = checks.find_differences()
        db.session.rollback()
        if left:
            click.echo(_("%(n)d difference(s) remain.", n=len(left)), err=True)
    else:
        click.echo(_("Run again with --repair to write the ledger's figures into these rows."))
    click.get_current_context().exit(1)
