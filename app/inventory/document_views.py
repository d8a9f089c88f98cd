"""Stock documents: adjustments, transfers, opening stock and counts."""

from app.inventory.blueprint import bp  # noqa: F401
