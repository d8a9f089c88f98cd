"""Receivables, payables, payments and statements (财务管理)."""
