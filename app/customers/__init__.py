"""Customers and their contacts (客户管理)."""
