"""Enquiries, purchase orders and receipts (询价, 采购, 入库)."""
