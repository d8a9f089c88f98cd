"""Stock figures: overview, product ledger, valuation."""

from app.inventory.blueprint import bp  # noqa: F401
