"""`flask stock verify [--repair]`: balances, levels and reservation totals against the ledger."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.inventory import posting, verify
from app.inventory.models import MoveType, StockBalance, StockLevel

D = Decimal


def post(app, *lines):
    with app.test_request_context("/?lang=en"):
        posting.post_moves(
            [posting.MoveLine(k, p, w, loc, D(q), D(5)) for k, p, w, loc, q in lines], posting.Source("test", 1, "T-1")
        )
        db.session.commit()


def sql(app, statement: str, **params):
    with app.app_context():
        db.session.execute(sa.text(statement), params)
        db.session.commit()


def run(app, *args, lang="en_US.UTF-8"):
    return app.test_cli_runner().invoke(
        args=["stock", "verify", *args], env={"LANG": lang, "LC_ALL": "", "LC_MESSAGES": ""}
    )


@pytest.fixture
def stocked(app, create_warehouse, create_product):
    sh1, locs = create_warehouse("SH1", "A-01\nA-02\nB-01")
    p = create_product("6204-2RS")
    q = create_product("6205")
    post(
        app,
        (MoveType.RECEIPT, p.id, sh1, locs["A-01"], "10"),
        (MoveType.RECEIPT, p.id, sh1, locs["A-02"], "5"),
        (MoveType.RECEIPT, q.id, sh1, locs["B-01"], "7"),
    )
    post(app, (MoveType.DELIVERY, p.id, sh1, locs["A-01"], "-3"))
    with app.test_request_context("/?lang=en"):
        posting.reserve(posting.Source("sales_order", 1, "SO-1"), [posting.ReserveLine(p.id, sh1, 11, D(2))])
        db.session.commit()
    return {"sh1": sh1, "locs": locs, "p": p.id, "q": q.id}


def test_a_consistent_ledger_verifies_clean(app, stocked):
    result = run(app)
    assert result.exit_code == 0, result.output
    assert "No differences" in result.output


def test_the_ledger_itself_cannot_be_edited(app, stocked):
    with app.app_context(), pytest.raises(sa.exc.DBAPIError):
        db.session.execute(sa.text("UPDATE stock_moves SET quantity = 99"))
    with app.app_context(), pytest.raises(sa.exc.DBAPIError):
        db.session.execute(sa.text("DELETE FROM stock_moves"))


def _tamper(app, s):
    sql(app, "UPDATE stock_balances SET on_hand = on_hand + 4 WHERE location_id = :loc", loc=s["locs"]["A-01"])
    sql(app, "DELETE FROM stock_balances WHERE location_id = :loc", loc=s["locs"]["A-02"])
    sql(
        app,
        "INSERT INTO stock_balances (product_id, warehouse_id, location_id, on_hand, updated_at) "
        "VALUES (:p, :w, :loc, 2.5, CURRENT_TIMESTAMP)",
        p=s["q"],
        w=s["sh1"],
        loc=s["locs"]["A-01"],
    )
    sql(app, "UPDATE stock_levels SET reserved = 0 WHERE product_id = :p", p=s["p"])
    sql(app, "UPDATE stock_levels SET on_hand = on_hand - 1 WHERE product_id = :q", q=s["q"])


def test_tampered_figures_are_reported_in_a_table_and_the_exit_status(app, stocked):
    _tamper(app, stocked)
    result = run(app)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].split() == ["Figure", "Product", "Warehouse", "Location", "Stored", "From", "ledger", "Difference"]
    rows = {" ".join(line.split()) for line in lines[2:]}
    assert "On hand at location SKF 6204-2RS SH1 A-01 11 7 +4" in rows
    assert "On hand at location SKF 6204-2RS SH1 A-02 (missing) 5 -5" in rows
    assert "On hand at location SKF 6205 SH1 A-01 2.5 0 +2.5" in rows
    assert "Reserved in warehouse SKF 6204-2RS SH1 0 2 -2" in rows
    assert "On hand in warehouse SKF 6205 SH1 6 7 -1" in rows
    assert (
        "5 difference(s): 3 location balance(s), 1 warehouse on-hand figure(s), 1 reserved figure(s)." in result.output
    )
    # Reporting changes nothing.
    assert run(app).exit_code == 1


def test_repair_writes_the_ledgers_figures_then_verify_is_clean(app, stocked):
    _tamper(app, stocked)
    result = run(app, "--repair")
    assert result.exit_code == 1, result.output  # differences were found
    assert "5 figure(s) repaired from the ledger." in result.output
    assert "remain" not in result.output
    clean = run(app)
    assert clean.exit_code == 0, clean.output
    with app.app_context():
        balances = dict(
            db.session.execute(
                sa.select(StockBalance.location_id, StockBalance.on_hand).where(StockBalance.product_id == stocked["p"])
            ).all()
        )
        level = db.session.scalar(sa.select(StockLevel).where(StockLevel.product_id == stocked["p"]))
        assert balances == {stocked["locs"]["A-01"]: 7, stocked["locs"]["A-02"]: 5}
        assert (level.on_hand, level.reserved) == (12, 2)


def test_find_and_repair_through_the_service(app, stocked):
    sql(app, "UPDATE stock_levels SET on_hand = 100 WHERE product_id = :p", p=stocked["p"])
    with app.test_request_context("/?lang=en"):
        found = verify.find_differences()
        assert [(d.kind, d.product_id, d.stored, d.expected) for d in found] == [
            (verify.Kind.LEVEL, stocked["p"], D(100), D(12))
        ]
        assert verify.find_differences([stocked["q"]]) == []
        assert len(verify.repair(found)) == 1
        db.session.commit()
        assert verify.find_differences() == []


def test_the_report_speaks_the_shells_language(app, stocked):
    sql(app, "UPDATE stock_levels SET on_hand = 100 WHERE product_id = :p", p=stocked["p"])
    result = run(app, lang="zh_CN.UTF-8")
    assert result.exit_code == 1
    header = result.output.splitlines()[0]
    assert "产品" in header and "Product" not in header


def test_the_report_is_capped(app, stocked):
    sql(app, "UPDATE stock_balances SET on_hand = on_hand + 1")
    result = run(app, "--limit", "1")
    assert result.exit_code == 1
    assert "… and 2 more." in result.output


def test_the_demo_data_verifies_clean(app):
    """What CI runs on every engine: seed the demo data, then verify it."""
    runner = app.test_cli_runner()
    seeded = runner.invoke(args=["seed-demo"])
    assert seeded.exit_code == 0, seeded.output
    result = run(app)
    assert result.exit_code == 0, result.output
    assert "No differences" in result.output
