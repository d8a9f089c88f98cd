"""Warehouses, locations and the stock ledger (库存管理)."""
