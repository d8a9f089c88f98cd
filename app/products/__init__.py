"""Products: bearings by brand and model (产品管理)."""
