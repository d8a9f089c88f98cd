"""Model lookup (价格查询) and price help for quotation lines."""
