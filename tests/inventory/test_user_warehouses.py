"""Separate warehouses (独立仓库) set by an administrator on the user's pages: the panel, the form,
the operation log, the guards, and the effect on the user's very next request."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.core.audit import OperationLog
from app.extensions import db
from tests.support import form_fields, html, replace_field


@pytest.fixture
def places(create_warehouse):
    sh1, _ = create_warehouse("SH1", "A-01")
    wx1, _ = create_warehouse("WX1", "R-01")
    return {"sh1": sh1, "wx1": wx1}


def _warehouses_of(app, user_id):
    from app.inventory import scope

    with app.app_context():
        return scope.warehouses_of(user_id)


def _save(admin, user_id, mode, *warehouse_ids, page=None):
    url = f"/admin/users/{user_id}/warehouses"
    fields = form_fields(page or html(admin.get(url)), "user-warehouses-form")
    fields = replace_field(fields, "mode", mode)
    fields = replace_field(fields, "warehouses", *(str(w) for w in warehouse_ids))
    return admin.submit(url, fields)


def _panel(page: str) -> str:
    return page.split('data-panel="user_warehouses"', 1)[1].split("</div>\n</div>", 1)[0]


def test_the_panel_shows_every_warehouse_until_the_user_is_limited(app, login, create_user, places):
    admin = login("admin")
    keeper = create_user("keeper", ["warehouse"])
    panel = _panel(html(admin.get(f"/admin/users/{keeper.id}")))
    assert 'data-user-warehouses="all"' in panel and "Every warehouse" in panel
    assert f'href="/admin/users/{keeper.id}/warehouses"' in panel
    response = _save(admin, keeper.id, "some", places["wx1"])
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/admin/users/{keeper.id}")
    page = html(admin.get(f"/admin/users/{keeper.id}"))
    assert "Warehouses of keeper saved." in page
    panel = _panel(page)
    assert 'data-warehouse="WX1"' in panel and 'data-warehouse="SH1"' not in panel
    assert _warehouses_of(app, keeper.id) == {places["wx1"]}


def test_the_form_opens_with_the_current_choice(app, login, create_user, places):
    from app.inventory.scope import set_user_warehouses

    admin = login("admin")
    keeper = create_user("keeper", ["warehouse"])
    with app.app_context():
        set_user_warehouses(keeper.id, {places["sh1"], places["wx1"]})
        db.session.commit()
    fields = dict(form_fields(html(admin.get(f"/admin/users/{keeper.id}/warehouses")), "user-warehouses-form"))
    assert fields["mode"] == "some"
    assert fields["expected"] == ",".join(str(w) for w in sorted(places.values()))
    checked = [v for k, v in form_fields(html(admin.get(f"/admin/users/{keeper.id}/warehouses"))) if k == "warehouses"]
    assert sorted(checked) == sorted(str(w) for w in places.values())


def test_the_change_is_in_the_operation_log_by_warehouse_name(app, login, create_user, places):
    admin = login("admin")
    keeper = create_user("keeper", ["warehouse"])
    _save(admin, keeper.id, "some", places["sh1"], places["wx1"])
    _save(admin, keeper.id, "some", places["wx1"])
    _save(admin, keeper.id, "all")
    with app.app_context():
        entries = db.session.scalars(
            sa.select(OperationLog)
            .where(
                OperationLog.object_type == "user",
                OperationLog.object_id == keeper.id,
                OperationLog.event.is_not(None),
            )
            .order_by(OperationLog.id)
        ).all()
        logged = [(e.event, e.changes["warehouses"], e.actor_id, e.object_label) for e in entries]
    assert logged == [
        ("warehouses_limited", [[], ["SH1 Warehouse SH1", "WX1 Warehouse WX1"]], admin.user.id, "keeper"),
        (
            "warehouses_limited",
            [["SH1 Warehouse SH1", "WX1 Warehouse WX1"], ["WX1 Warehouse WX1"]],
            admin.user.id,
            "keeper",
        ),
        ("warehouses_unlimited", [["WX1 Warehouse WX1"], []], admin.user.id, "keeper"),
    ]
    history = html(admin.get(f"/admin/users/{keeper.id}")).split("data-history", 1)[1]
    assert "The user works in every warehouse again" in history
    assert "Warehouses the user works in were set" in history and "WX1 Warehouse WX1" in history


def test_saving_the_same_choice_changes_and_logs_nothing(app, login, create_user, places):
    admin = login("admin")
    keeper = create_user("keeper", ["warehouse"])
    response = _save(admin, keeper.id, "all")
    assert response.status_code == 302
    assert "Nothing changed." in html(admin.get(f"/admin/users/{keeper.id}"))
    with app.app_context():
        events = sa.select(OperationLog.id).where(
            OperationLog.object_type == "user", OperationLog.object_id == keeper.id, OperationLog.event.is_not(None)
        )
        assert db.session.scalars(events).all() == []


def test_only_the_ticked_ones_with_at_least_one(app, login, create_user, places):
    admin = login("admin")
    keeper = create_user("keeper", ["warehouse"])
    page = html(_save(admin, keeper.id, "some"))
    assert "Tick at least one warehouse, or choose “Every warehouse”." in page
    assert _warehouses_of(app, keeper.id) is None


def test_a_stale_form_is_refused_showing_what_someone_else_saved(app, login, create_user, places):
    admin = login("admin")
    other_admin = login("admin", username="admin2")
    keeper = create_user("keeper", ["warehouse"])
    stale = html(admin.get(f"/admin/users/{keeper.id}/warehouses"))
    _save(other_admin, keeper.id, "some", places["sh1"])
    response = _save(admin, keeper.id, "some", places["wx1"], page=stale)
    page = html(response)
    assert response.status_code == 200 and "data-conflict" in page
    assert "Someone else changed this user&#39;s warehouses" in page
    assert "SH1 Warehouse SH1" in page.split("data-conflict-theirs", 1)[1]
    assert _warehouses_of(app, keeper.id) == {places["sh1"]}
    # The form now carries what is saved: sending it again applies the admin's choice.
    response = _save(admin, keeper.id, "some", places["wx1"], page=page)
    assert response.status_code == 302
    assert _warehouses_of(app, keeper.id) == {places["wx1"]}


def test_it_takes_effect_on_the_users_next_request(app, login, places):
    admin = login("admin")
    keeper = login("warehouse", username="keeper")
    form = html(keeper.get("/inventory/adjustments/new"))
    assert "SH1 · Warehouse SH1" in form and "WX1 · Warehouse WX1" in form
    _save(admin, keeper.user.id, "some", places["wx1"])
    # The same browser session, no new sign-in.
    form = html(keeper.get("/inventory/adjustments/new"))
    assert "WX1 · Warehouse WX1" in form and "SH1" not in form
    assert "Figures of your warehouses only: WX1" in html(keeper.get("/inventory/"))
    _save(admin, keeper.user.id, "all")
    form = html(keeper.get("/inventory/adjustments/new"))
    assert "SH1 · Warehouse SH1" in form and "WX1 · Warehouse WX1" in form


def test_only_user_administrators_may_change_it(app, login, create_user, places):
    keeper = create_user("keeper", ["warehouse"])
    for role in ("manager", "warehouse", "sales"):
        client = login(role)
        assert client.get(f"/admin/users/{keeper.id}/warehouses").status_code == 403
        assert client.submit(f"/admin/users/{keeper.id}/warehouses", {"mode": "all"}).status_code == 403
    assert login("admin").get("/admin/users/999999/warehouses").status_code == 404


def test_nobody_manages_a_stronger_account_this_way(app, create_user, create_role, places):
    helpdesk = create_role("helpdesk", ["users.view", "users.manage"])
    weak = create_user("helpdesk_user", [helpdesk])
    boss = create_user("boss", ["admin"])
    client = app.test_client()
    assert client.login(weak.username).status_code == 302
    page = html(_save(client, boss.id, "some", places["wx1"]))
    assert "You cannot manage a user who holds permissions you do not hold yourself." in page
    assert _warehouses_of(app, boss.id) is None


def test_a_limited_administrator_hands_out_only_their_own_warehouses(app, login, create_user, places):
    from app.inventory.scope import set_user_warehouses

    admin = login("admin", username="sh_admin")
    keeper = create_user("keeper", ["warehouse"])
    with app.app_context():
        set_user_warehouses(admin.user.id, {places["sh1"]})
        set_user_warehouses(keeper.id, {places["sh1"]})
        db.session.commit()
    page = html(_save(admin, keeper.id, "some", places["sh1"], places["wx1"]))
    assert "You can only give or take warehouses you work in yourself." in page
    page = html(_save(admin, keeper.id, "all"))
    assert "You work in some warehouses only, so you cannot let others work in every warehouse." in page
    assert _warehouses_of(app, keeper.id) == {places["sh1"]}


def test_a_deleted_warehouse_the_user_still_has_can_be_removed(app, login, create_user, places):
    from app.inventory import services
    from app.inventory.models import Warehouse
    from app.inventory.scope import set_user_warehouses

    admin = login("admin")
    keeper = create_user("keeper", ["warehouse"])
    with app.app_context():
        set_user_warehouses(keeper.id, {places["sh1"], places["wx1"]})
        services.delete_warehouse(db.session.get(Warehouse, places["wx1"]))
        db.session.commit()
    page = html(admin.get(f"/admin/users/{keeper.id}/warehouses"))
    assert re.search(r"WX1 Warehouse WX1 \(deleted\)", page)
    assert _save(admin, keeper.id, "some", places["sh1"]).status_code == 302
    assert _warehouses_of(app, keeper.id) == {places["sh1"]}
    # ... and cannot be given anew.
    page = html(_save(admin, keeper.id, "some", places["sh1"], places["wx1"]))
    assert "is not a valid choice" in page.split('id="warehouse-choices"', 1)[1]
    assert _warehouses_of(app, keeper.id) == {places["sh1"]}
