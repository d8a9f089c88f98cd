"""The default roles of DOMAIN.md, by permission name."""

from __future__ import annotations

from dataclasses import dataclass

from app.auth import permissions as registry


def N_(text: str) -> str:
    """Mark a stored default text for extraction; it is translated when displayed."""
    return text


@dataclass(frozen=True)
class DefaultRole:
    name: str
    title_zh: str
    title_en: str
    description: str
    permissions: frozenset[str]


def _manager() -> frozenset[str]:
    excluded = {"users.manage", "roles.manage", "sessions.manage"}
    return frozenset(p for p in registry.all_permissions() if p not in excluded and not p.startswith("system."))


def default_roles() -> list[DefaultRole]:
    """Return the default roles; the registry must be complete (all domains imported)."""
    roles = [
        DefaultRole("admin", "系统管理员", "Administrator", N_("Every permission."), registry.all_permissions()),
        DefaultRole(
            "manager",
            "经理",
            "Manager",
            N_("Everything except user, role, session and system administration."),
            _manager(),
        ),
        DefaultRole(
            "sales",
            "销售",
            "Sales",
            N_("Own customers, quotations and sales orders."),
            frozenset(
                {
                    "customers.view",
                    "customers.edit",
                    "customers.export",
                    "products.view",
                    "pricing.view",
                    "warehouses.view",
                    "inventory.view",
                    "quotations.view",
                    "quotations.edit",
                    "quotations.export",
                    "quotations.print",
                    "sales_orders.view",
                    "sales_orders.edit",
                    "sales_orders.print",
                    "deliveries.view",
                    "deliveries.print",
                    "reports.view",
                }
            ),
        ),
        DefaultRole(
            "warehouse",
            "库管",
            "Warehouse",
            N_("Stock, counts, deliveries and receipts."),
            frozenset(
                {
                    "products.view",
                    "warehouses.view",
                    "warehouses.edit",
                    "inventory.view",
                    "inventory.adjust",
                    "inventory.transfer",
                    "inventory.count",
                    "inventory.opening",
                    "inventory.export",
                    "deliveries.view",
                    "deliveries.edit",
                    "deliveries.post",
                    "deliveries.print",
                    "receipts.view",
                    "receipts.edit",
                    "receipts.post",
                    "receipts.print",
                    "sales_orders.view",
                    "sales_orders.view_all",
                    "purchase_orders.view",
                    "purchase_orders.view_all",
                }
            ),
        ),
        DefaultRole(
            "purchaser",
            "采购",
            "Purchaser",
            N_("Suppliers, enquiries and purchase orders."),
            frozenset(
                {
                    "suppliers.view",
                    "suppliers.edit",
                    "suppliers.delete",
                    "suppliers.import",
                    "suppliers.export",
                    "products.view",
                    "products.edit",
                    "products.import",
                    "products.view_cost",
                    "pricing.view",
                    "warehouses.view",
                    "inventory.view",
                    "enquiries.view",
                    "enquiries.edit",
                    "enquiries.export",
                    "enquiries.print",
                    "purchase_orders.view",
                    "purchase_orders.edit",
                    "purchase_orders.confirm",
                    "purchase_orders.export",
                    "purchase_orders.print",
                    "receipts.view",
                    "receipts.print",
                }
            ),
        ),
        DefaultRole(
            "finance",
            "财务",
            "Finance",
            N_("Receivables, payables and payments; reads sales and purchasing."),
            frozenset(
                {
                    "finance.view",
                    "finance.edit",
                    "finance.export",
                    "customers.view",
                    "customers.view_all",
                    "suppliers.view",
                    "products.view",
                    "products.view_cost",
                    "quotations.view",
                    "quotations.view_all",
                    "sales_orders.view",
                    "sales_orders.view_all",
                    "deliveries.view",
                    "purchase_orders.view",
                    "purchase_orders.view_all",
                    "receipts.view",
                    "reports.view",
                    "reports.export",
                }
            ),
        ),
    ]
    for role in roles:
        registry.check_names(role.permissions)
    return roles
