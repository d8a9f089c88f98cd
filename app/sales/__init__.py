"""Quotations, sales orders and deliveries (报价, 订单, 出库)."""
