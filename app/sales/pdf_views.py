"""Quotation PDF and Excel downloads."""
