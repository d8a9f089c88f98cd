"""Price lists, customer prices and price history (价格管理)."""
