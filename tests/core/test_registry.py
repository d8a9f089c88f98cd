"""Registries: menu entries and panels a domain contributes, filtered by the user's permissions."""

import pytest

from app.core.registry import (
    DASHBOARD,
    MENU_SECTIONS,
    MenuItem,
    Panel,
    PanelRegistry,
    active_menu_item,
    menu_for,
    panels,
)
from app.core.registry import register_menu_item as register
from tests import support

ADMIN_ENDPOINTS = ["auth.user_list", "auth.role_list", "auth.session_list", "system.audit_list"]


def _menu(held: set[str]) -> dict[str, list[str]]:
    return {section.key: [item.endpoint for item in items] for section, items in menu_for(lambda p: p in held)}


def test_menu_for_keeps_the_section_order_and_the_item_order(app):
    menu = menu_for(lambda p: True)
    orders = [section.order for section, _items in menu]
    assert orders == sorted(orders)
    assert menu[0][0].key == "home"
    for section, items in menu:
        assert items, section.key
        assert all(item.section == section.key for item in items)
        assert [i.order for i in items] == sorted(i.order for i in items)
    admin = {s.key: [i.endpoint for i in items] for s, items in menu}["admin"]
    assert [e for e in admin if e in ADMIN_ENDPOINTS] == ADMIN_ENDPOINTS


def test_menu_for_shows_only_what_the_permissions_allow(app):
    nothing = _menu(set())
    assert nothing["home"] == ["reports.dashboard"]
    assert "admin" not in nothing  # a section with nothing to show is left out

    assert _menu({"users.view"})["admin"] == ["auth.user_list"]
    assert _menu({"audit.view", "roles.manage"})["admin"] == ["auth.role_list", "system.audit_list"]


def test_a_second_registration_of_an_endpoint_changes_nothing(app):
    register(MenuItem("admin", "auth.user_list", "Hijacked", "x", permissions=()))
    assert "admin" not in _menu(set())


def test_an_unknown_menu_section_is_refused(app):
    with pytest.raises(KeyError):
        register(MenuItem("nowhere", "auth.user_list", "Lost", "x"))
    assert "nowhere" not in MENU_SECTIONS


def test_a_list_item_is_active_on_every_page_of_its_entity():
    users = MenuItem("admin", "auth.user_list", "Users", "people")
    assert users.is_active("auth.user_list")
    assert users.is_active("auth.user_edit")
    assert not users.is_active("auth.role_list")
    assert not users.is_active(None)
    dashboard = MenuItem("home", "reports.dashboard", "Dashboard", "speedometer2")
    assert dashboard.is_active("reports.dashboard")
    assert not dashboard.is_active("reports.dashboard_export")


def test_only_the_closest_menu_item_is_active():
    quotations = MenuItem("sales", "sales.quotation_list", "Quotations", "file")
    approvals = MenuItem(
        "sales", "sales.quotation_approvals", "Approvals", "check", active_prefix="sales.quotation_approvals"
    )
    sections = [(MENU_SECTIONS["sales"], [quotations, approvals])]
    # The approval queue's endpoint starts with the list's prefix too: only the queue lights up.
    assert quotations.is_active("sales.quotation_approvals")
    assert active_menu_item(sections, "sales.quotation_approvals") is approvals
    assert active_menu_item(sections, "sales.quotation_detail") is quotations
    assert active_menu_item(sections, "auth.user_list") is None


def _nav(page: str) -> str:
    start = page.index('id="app-menu"')
    return page[start : page.index("</nav>", start)]


def test_the_rendered_menu_follows_the_signed_in_users_permissions(login):
    admin_nav = _nav(support.html(login("admin").get("/")))
    for href in ("/admin/users/", "/admin/roles/", "/admin/sessions/", "/admin/audit/"):
        assert f'href="{href}"' in admin_nav

    sales_nav = _nav(support.html(login("sales").get("/")))
    assert 'href="/"' in sales_nav
    assert "/admin/" not in sales_nav


# --- panels ----------------------------------------------------------------------------------


def _panel(key: str, *permissions: str, order: int = 100) -> Panel:
    return Panel(key, f"{key}.html", dict, permissions=permissions, order=order)


def test_panels_are_filtered_by_permission_and_kept_in_order():
    registry = PanelRegistry()
    registry.register("dashboard", _panel("stock", "inventory.view", order=20))
    registry.register("dashboard", _panel("welcome", order=0))
    registry.register("dashboard", _panel("money", "finance.view", "reports.view", order=10))
    registry.register("detail:customer", _panel("orders", "sales_orders.view"))

    def keys(target, held):
        return [p.key for p in registry.visible(target, lambda p: p in held)]

    assert keys("dashboard", set()) == ["welcome"]
    assert keys("dashboard", {"inventory.view"}) == ["welcome", "stock"]
    assert keys("dashboard", {"finance.view"}) == ["welcome"]  # a panel needs all its permissions
    assert keys("dashboard", {"finance.view", "reports.view", "inventory.view"}) == ["welcome", "money", "stock"]
    assert keys("detail:customer", {"sales_orders.view"}) == ["orders"]
    assert keys("detail:nothing", {"sales_orders.view"}) == []


def test_registering_a_panel_key_again_replaces_it():
    registry = PanelRegistry()
    registry.register("dashboard", _panel("welcome", order=5))
    registry.register("dashboard", _panel("welcome", "reports.view", order=1))
    assert registry.visible("dashboard", lambda p: False) == []
    assert [p.order for p in registry.visible("dashboard", lambda p: True)] == [1]


def test_the_dashboard_panels_of_auth_need_no_permission(app):
    keys = [p.key for p in panels.visible(DASHBOARD, lambda p: False)]
    assert "greeting" in keys and "my_access" in keys
    assert keys.index("greeting") < keys.index("my_access")


def _panel_html(page: str, key: str) -> str:
    start = page.index(f'data-panel="{key}"')
    return page[start : page.index("</div>\n</div>", start)]


def test_a_salespersons_dashboard_greets_them_with_their_role(login):
    sales = login("sales", username="mei")
    page = support.html(sales.get("/"))
    greeting = _panel_html(page, "greeting")
    assert "Hello, Mei" in greeting
    assert "Sales" in greeting
    assert 'data-panel="my_access"' in page


def test_the_role_title_follows_the_users_language(login):
    page = support.html(login("sales", username="li", locale="zh").get("/"))
    greeting = _panel_html(page, "greeting")
    assert "销售" in greeting
    assert "Sales" not in greeting
