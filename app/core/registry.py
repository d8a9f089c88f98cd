"""Registries through which a higher domain shows something on a lower domain's pages.

Imports point downward only: a domain registers its menu entries, dashboard panels, detail-page
panels and typeahead columns here at import time, and the pages that render them ask the
registry for whatever the current user may see.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l

Checker = Callable[[str], bool]


@dataclass(frozen=True)
class MenuSection:
    key: str
    label: Any
    icon: str
    order: int


@dataclass(frozen=True)
class MenuItem:
    section: str
    endpoint: str
    label: Any
    icon: str
    permissions: tuple[str, ...] = ()
    order: int = 100
    # Endpoints starting with this prefix highlight the item; by default a "<x>_list" item is
    # active on every "<x>_..." page.
    active_prefix: str = ""

    def match(self, endpoint: str | None) -> int:
        """How closely ``endpoint`` belongs to this item: 0 not at all, more for a closer match."""
        if not endpoint:
            return 0
        if endpoint == self.endpoint:
            return len(endpoint) + 1
        prefix = self.active_prefix or (self.endpoint[: -len("list")] if self.endpoint.endswith("_list") else "")
        return len(prefix) if prefix and endpoint.startswith(prefix) else 0

    def is_active(self, endpoint: str | None) -> bool:
        return self.match(endpoint) > 0


MENU_SECTIONS: dict[str, MenuSection] = {
    s.key: s
    for s in [
        MenuSection("home", _l("Home"), "house", 0),
        MenuSection("sales", _l("Sales"), "briefcase", 10),
        MenuSection("purchasing", _l("Purchasing"), "cart3", 20),
        MenuSection("inventory", _l("Inventory"), "box-seam", 30),
        MenuSection("master", _l("Master data"), "database", 40),
        MenuSection("finance", _l("Finance"), "cash-coin", 50),
        MenuSection("reports", _l("Reports"), "bar-chart", 60),
        MenuSection("admin", _l("Administration"), "gear", 90),
    ]
}

_menu: list[MenuItem] = []


def register_menu_item(item: MenuItem) -> None:
    if item.section not in MENU_SECTIONS:
        raise KeyError(f"unknown menu section {item.section!r}")
    if any(existing.endpoint == item.endpoint for existing in _menu):
        return
    _menu.append(item)


def menu_for(can: Checker) -> list[tuple[MenuSection, list[MenuItem]]]:
    """Return the sections and items the user may use, in display order."""
    grouped: dict[str, list[MenuItem]] = {}
    for item in sorted(_menu, key=lambda i: (i.order, str(i.endpoint))):
        if all(can(p) for p in item.permissions):
            grouped.setdefault(item.section, []).append(item)
    sections = sorted((MENU_SECTIONS[k] for k in grouped), key=lambda s: s.order)
    return [(section, grouped[section.key]) for section in sections]


def active_menu_item(sections: list[tuple[MenuSection, list[MenuItem]]], endpoint: str | None) -> MenuItem | None:
    """The one item to highlight on ``endpoint``'s page: the closest match, so the approval queue
    ("sales.quotation_approvals") lights up alone, not with the quotation list whose prefix it shares."""
    best, score = None, 0
    for _section, items in sections:
        for item in items:
            if item.match(endpoint) > score:
                best, score = item, item.match(endpoint)
    return best


@dataclass(frozen=True)
class Panel:
    """A dashboard or detail-page panel: a template rendered with what ``context`` returns."""

    key: str
    template: str
    context: Callable[..., dict | None]
    permissions: tuple[str, ...] = ()
    order: int = 100
    width: str = "col-lg-6"


@dataclass
class PanelRegistry:
    panels: dict[str, list[Panel]] = field(default_factory=dict)

    def register(self, target: str, panel: Panel) -> None:
        panels = self.panels.setdefault(target, [])
        panels[:] = [p for p in panels if p.key != panel.key]
        panels.append(panel)
        panels.sort(key=lambda p: (p.order, p.key))

    def visible(self, target: str, can: Checker) -> list[Panel]:
        return [p for p in self.panels.get(target, []) if all(can(x) for x in p.permissions)]


panels = PanelRegistry()

DASHBOARD = "dashboard"


def register_dashboard_panel(panel: Panel) -> None:
    panels.register(DASHBOARD, panel)


def register_detail_panel(entity: str, panel: Panel) -> None:
    panels.register(f"detail:{entity}", panel)


@dataclass(frozen=True)
class TypeaheadEnricher:
    """Adds fields to typeahead results of ``entity`` for users holding ``permissions``."""

    key: str
    enrich: Callable[[list[dict]], None]
    permissions: tuple[str, ...] = ()


_enrichers: dict[str, list[TypeaheadEnricher]] = {}


def register_typeahead_enricher(entity: str, enricher: TypeaheadEnricher) -> None:
    items = _enrichers.setdefault(entity, [])
    items[:] = [e for e in items if e.key != enricher.key]
    items.append(enricher)


def enrich_typeahead(entity: str, rows: list[dict], can: Checker) -> None:
    for enricher in _enrichers.get(entity, []):
        if all(can(p) for p in enricher.permissions):
            enricher.enrich(rows)


@dataclass(frozen=True)
class UsageCheck:
    """Counts the records of a higher domain that use an object of ``entity``."""

    key: str
    label: Any
    count: Callable[[Any], int]


_usage_checks: dict[str, list[UsageCheck]] = {}


def register_usage_check(entity: str, check: UsageCheck) -> None:
    checks = _usage_checks.setdefault(entity, [])
    checks[:] = [c for c in checks if c.key != check.key]
    checks.append(check)


def usages(entity: str, obj: Any) -> list[tuple[Any, int]]:
    """What still uses ``obj``: (label, count) for every registered check that finds something."""
    found = []
    for check in _usage_checks.get(entity, []):
        n = check.count(obj)
        if n:
            found.append((check.label, n))
    return found


# --- "my work": counts on the dashboard, each linking to its filtered list -----------------------

WORK_COUNT_CAP = 99


@dataclass(frozen=True)
class WorkItem:
    """One count of the dashboard's "my work" panel, for users holding ``permissions``.

    ``count`` and ``link`` run for the signed-in user (a request or a Socket.IO event, with the
    user's identity set) and must apply the same permission and scope rules as the list ``link``
    leads to, so the count is what the list shows. Counts are capped: ``count`` may stop at
    ``WORK_COUNT_CAP + 1`` (shown as "99+"). When something changes one, the domain calls
    ``app.core.realtime.work_changed(user_ids, key)`` and open dashboards ask for it again.
    """

    key: str
    label: Any
    icon: str
    count: Callable[[], int]
    link: Callable[[], str]
    permissions: tuple[str, ...] = ()
    order: int = 100


_work: dict[str, WorkItem] = {}


def register_work_item(item: WorkItem) -> None:
    _work[item.key] = item


def work_items_for(can: Checker) -> list[WorkItem]:
    """The "my work" items the user may see, in display order."""
    return sorted((i for i in _work.values() if all(can(p) for p in i.permissions)), key=lambda i: (i.order, i.key))


def work_counts(can: Checker) -> dict[str, int]:
    """The counts of every item the user may see, capped at WORK_COUNT_CAP + 1."""
    return {item.key: min(item.count(), WORK_COUNT_CAP + 1) for item in work_items_for(can)}


# --- who is looking ------------------------------------------------------------------------------

_viewer_permissions: Callable[[], frozenset[str]] = frozenset


def register_viewer_permissions(current: Callable[[], frozenset[str]]) -> None:
    """How a page cached for a set of permissions learns the current user's (the auth layer)."""
    global _viewer_permissions
    _viewer_permissions = current


def viewer_permissions() -> frozenset[str]:
    return _viewer_permissions()
