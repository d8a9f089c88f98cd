"""Suppliers and their contacts (供应商)."""
