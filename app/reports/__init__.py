"""The dashboard and reports."""
