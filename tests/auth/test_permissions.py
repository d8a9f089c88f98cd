"""The permission registry, default roles, per-request identity, and the rules against escalation."""

import json

import pytest
import sqlalchemy as sa

from app.auth import permissions as registry
from tests.support import html

# The closed list of DOMAIN.md, resource by resource.
CLOSED_LIST = {
    "customers": ["view", "view_all", "edit", "delete", "import", "export"],
    "suppliers": ["view", "edit", "delete", "import", "export"],
    "products": ["view", "edit", "delete", "import", "export", "view_cost"],
    "warehouses": ["view", "edit"],
    "inventory": ["view", "adjust", "transfer", "count", "opening", "cancel", "export"],
    "pricing": ["view", "edit"],
    "quotations": ["view", "view_all", "edit", "approve", "delete", "export", "print"],
    "sales_orders": ["view", "view_all", "edit", "confirm", "cancel", "export", "print"],
    "deliveries": ["view", "edit", "post", "cancel", "export", "print"],
    "enquiries": ["view", "view_all", "edit", "delete", "export", "print"],
    "purchase_orders": ["view", "view_all", "edit", "confirm", "cancel", "export", "print"],
    "receipts": ["view", "edit", "post", "cancel", "export", "print"],
    "finance": ["view", "edit", "export"],
    "reports": ["view", "export"],
    "users": ["view", "manage"],
    "roles": ["manage"],
    "sessions": ["manage"],
    "audit": ["view"],
    "system": ["settings", "backup", "logs"],
    "notifications": ["broadcast"],
}


def _names(resources: dict[str, list[str]]) -> set[str]:
    return {f"{r}.{a}" for r, actions in resources.items() for a in actions}


def test_registry_holds_exactly_the_closed_list(app):
    assert registry.all_permissions() == _names(CLOSED_LIST)


def test_every_permission_has_a_translatable_label(app):
    with app.test_request_context("/?lang=zh"):
        for resource in registry.resources():
            assert str(resource.label)
            for perm in resource.permissions:
                assert str(perm.label)


def _role_permissions(name: str) -> set[str]:
    from app.auth.models import Role
    from app.extensions import db

    return set(db.session.scalar(sa.select(Role).where(Role.name == name)).permission_names)


def test_default_roles_are_seeded_as_domain_md_says(ctx):
    everything = _names(CLOSED_LIST)
    assert _role_permissions("admin") == everything
    assert _role_permissions("manager") == everything - {
        "users.manage",
        "roles.manage",
        "sessions.manage",
        "system.settings",
        "system.backup",
        "system.logs",
    }
    sales = _role_permissions("sales")
    assert {"customers.view", "quotations.edit", "sales_orders.print", "deliveries.view", "reports.view"} <= sales
    assert not {"customers.view_all", "quotations.approve", "products.view_cost", "deliveries.post"} & sales
    warehouse = _role_permissions("warehouse")
    assert {"inventory.adjust", "deliveries.post", "receipts.post", "sales_orders.view_all"} <= warehouse
    assert "inventory.cancel" not in warehouse
    purchaser = _role_permissions("purchaser")
    assert {"suppliers.delete", "products.view_cost", "purchase_orders.confirm"} <= purchaser
    assert "purchase_orders.view_all" not in purchaser
    finance = _role_permissions("finance")
    assert {"finance.edit", "customers.view_all", "reports.export"} <= finance
    assert "quotations.edit" not in finance


def test_unknown_permission_in_a_view_fails_at_start_up(app_config):
    from flask import Blueprint

    from app import create_app
    from app.auth.access import require, validate_declared_permissions

    fresh = create_app(app_config)
    bp = Blueprint("typo", __name__)

    @bp.get("/typo")
    @require("customers.veiw")
    def typo():
        return "x"

    fresh.register_blueprint(bp)
    with pytest.raises(RuntimeError, match=r"typo\.typo: unknown permission\(s\): customers\.veiw"):
        validate_declared_permissions(fresh)


def test_an_endpoint_without_an_access_rule_is_refused(app_config):
    from app import create_app

    fresh = create_app(app_config)

    @fresh.get("/forgotten")
    def forgotten():
        return "secret"

    response = fresh.test_client().get("/forgotten")
    assert response.status_code == 403
    assert "secret" not in response.get_data(as_text=True)


def test_menu_shows_only_what_the_user_may_use(login):
    sales = login("sales")
    page = html(sales.get("/"))
    assert 'href="/admin/users/"' not in page
    assert 'href="/admin/roles/"' not in page
    admin = login("admin")
    page = html(admin.get("/"))
    for href in ("/admin/users/", "/admin/roles/", "/admin/sessions/", "/admin/audit/"):
        assert f'href="{href}"' in page
    manager = login("manager")
    page = html(manager.get("/"))
    assert 'href="/admin/users/"' in page and 'href="/admin/audit/"' in page
    assert 'href="/admin/roles/"' not in page and 'href="/admin/sessions/"' not in page


def test_forbidden_page_is_403_and_translated(login):
    sales = login("sales")
    response = sales.get("/admin/users/")
    assert response.status_code == 403
    assert "Access denied" in html(response)
    response = sales.get("/admin/users/?lang=zh")
    assert response.status_code == 403
    assert "无权访问" in html(response)


# --- identity per request, cached per permissions_version ----------------------------------


def _sales_role_id(app):
    from app.auth.models import Role
    from app.extensions import db

    with app.app_context():
        return db.session.scalar(sa.select(Role.id).where(Role.name == "sales"))


def _edit_role(admin, role_id: int, add=(), remove=()):
    from tests.support import form_fields, replace_field

    page = html(admin.get(f"/admin/roles/{role_id}/edit"))
    fields = form_fields(page, "role-form")
    current = {v for k, v in fields if k == "permissions"}
    wanted = sorted((current | set(add)) - set(remove))
    return admin.post(f"/admin/roles/{role_id}/edit", data=replace_field(fields, "permissions", *wanted))


def test_role_change_applies_on_the_next_request(app, login):
    admin = login("admin")
    sales = login("sales")
    assert sales.get("/admin/users/").status_code == 403
    response = _edit_role(admin, _sales_role_id(app), add=["users.view"])
    assert response.status_code == 302
    assert sales.get("/admin/users/").status_code == 200
    _edit_role(admin, _sales_role_id(app), remove=["users.view"])
    assert sales.get("/admin/users/").status_code == 403


def test_user_role_change_applies_on_the_next_request(app, login, create_user):
    from tests.support import form_fields, replace_field

    admin = login("admin")
    clerk = login("sales")
    assert clerk.get("/admin/audit/").status_code == 403
    path = f"/admin/users/{clerk.user.id}/edit"
    fields = form_fields(html(admin.get(path)))
    manager_id = _role_id(app, "manager")
    response = admin.post(path, data=replace_field(fields, "roles", str(manager_id)))
    assert response.status_code == 302, html(response)[:3000]
    assert clerk.get("/admin/audit/").status_code == 200


def _role_id(app, name: str) -> int:
    from app.auth.models import Role
    from app.extensions import db

    with app.app_context():
        return db.session.scalar(sa.select(Role.id).where(Role.name == name))


def test_permissions_are_cached_in_redis_under_the_users_version(app, login):
    from app.auth.models import User
    from app.extensions import db, redis_store

    admin = login("admin")
    sales = login("sales")
    sales.get("/")
    with app.app_context():
        before = db.session.get(User, sales.user.id).permissions_version
        cached = json.loads(redis_store.get(redis_store.key("access", sales.user.id, before)))
        assert "quotations.edit" in cached["permissions"] and "users.view" not in cached["permissions"]
    _edit_role(admin, _sales_role_id(app), add=["users.view"])
    with app.app_context():
        after = db.session.get(User, sales.user.id).permissions_version
        assert after == before + 1
        # Rewritten after commit under the new version, before the user's next request.
        cached = json.loads(redis_store.get(redis_store.key("access", sales.user.id, after)))
        assert "users.view" in cached["permissions"]


def _user_menu_header(client) -> str:
    """The user menu's header line: "username · role titles"."""
    import re

    return re.search(r'<h6 class="dropdown-header">([^<]*)</h6>', html(client.get("/"))).group(1)


def test_a_renamed_role_shows_in_its_holders_user_menu_on_their_next_request(app, login):
    from tests.support import form_fields, replace_field

    admin = login("admin")
    sales = login("sales")
    assert "Night desk" not in _user_menu_header(sales)
    role_id = _sales_role_id(app)
    fields = form_fields(html(admin.get(f"/admin/roles/{role_id}/edit")), "role-form")
    fields = replace_field(replace_field(fields, "title_en", "Night desk"), "title_zh", "夜班销售")
    assert admin.post(f"/admin/roles/{role_id}/edit", data=fields).status_code == 302
    assert "Night desk" in _user_menu_header(sales)
    sales.post("/language", data={"lang": "zh", "csrf_token": sales.csrf_token("/")})
    assert "夜班销售" in _user_menu_header(sales)


def test_a_cache_miss_loads_permissions_from_the_database(app, login):
    from app.extensions import redis_store

    sales = login("sales")
    with app.app_context():
        for key in redis_store.scan_iter(match=redis_store.key("access", "*")):
            redis_store.delete(key)
    assert sales.get("/").status_code == 200
    assert sales.get("/admin/users/").status_code == 403


def test_deactivation_deletes_the_users_sessions_at_once(app, login, make_client, create_user):
    from app.auth import sessions
    from app.extensions import redis_store

    admin = login("admin")
    target = create_user("wendy", ["sales"])
    one, two = make_client(), make_client()
    one.login("wendy")
    two.login("wendy")
    sids = [one.get_cookie("erp_session").value, two.get_cookie("erp_session").value]
    response = admin.submit(f"/admin/users/{target.id}/deactivate", {})
    assert response.status_code == 302
    with app.app_context():
        for sid in sids:
            assert redis_store.exists(app.config["SESSION_KEY_PREFIX"] + sid) == 0
        assert sessions.list_for(target.id) == []
    assert one.get("/").status_code == 302
    assert two.get("/").status_code == 302
    assert make_client().login("wendy").status_code == 200


# --- no privilege escalation -------------------------------------------------------------------


def test_nobody_can_change_their_own_roles(app, login):
    from tests.support import form_fields, replace_field

    admin = login("admin")
    path = f"/admin/users/{admin.user.id}/edit"
    page = html(admin.get(path))
    assert "You cannot change your own roles." in page
    fields = form_fields(page)
    # A hand-made request dropping the admin role is refused by the server.
    response = admin.post(path, data=replace_field(fields, "roles", str(_role_id(app, "sales"))))
    assert response.status_code == 200
    assert "You cannot change your own roles." in html(response)
    assert admin.get("/admin/roles/").status_code == 200


def test_nobody_can_grant_a_role_with_permissions_they_lack(app, login, create_role, create_user):
    clerk_role = create_role("user_clerk", ["users.view", "users.manage"])
    clerk = login(clerk_role.name)
    response = clerk.submit(
        "/admin/users/new",
        {
            "username": "mallory",
            "display_name": "Mallory",
            "locale": "en",
            "timezone": "Asia/Shanghai",
            "password": "long-enough-pw",
            "roles": str(_role_id(app, "admin")),
        },
    )
    assert response.status_code == 200
    assert "You cannot grant or remove permissions you do not hold yourself" in html(response)
    # The same clerk may create a user with a role whose permissions they hold.
    ok = clerk.submit(
        "/admin/users/new",
        {
            "username": "oscar",
            "display_name": "Oscar",
            "locale": "en",
            "timezone": "Asia/Shanghai",
            "password": "long-enough-pw",
            "roles": str(clerk_role.id),
        },
    )
    assert ok.status_code == 302


def test_nobody_can_add_a_permission_they_lack_to_a_role(app, login, create_role):
    role_admin = create_role("role_keeper", ["roles.manage", "customers.view"])
    keeper = login(role_admin.name)
    response = _edit_role(keeper, _sales_role_id(app), add=["customers.view_all"])
    assert response.status_code == 200
    assert "You cannot grant or remove permissions you do not hold yourself" in html(response)
    assert "customers.view_all" not in _sales_permissions(app)
    # Permissions the keeper lacks are shown disabled and left untouched by a save.
    page = html(keeper.get(f"/admin/roles/{_sales_role_id(app)}/edit"))
    assert 'value="quotations.edit" id="perm-quotations.edit" data-group="quotations" checked disabled' in page
    assert _edit_role(keeper, _sales_role_id(app), remove=["customers.view"]).status_code == 302
    assert "quotations.edit" in _sales_permissions(app)
    assert "customers.view" not in _sales_permissions(app)


def _sales_permissions(app) -> set[str]:
    with app.app_context():
        return _role_permissions("sales")


def test_a_user_manager_cannot_take_over_a_stronger_account(app, login, create_role, create_user):
    clerk = login(create_role("user_clerk2", ["users.view", "users.manage"]).name)
    boss = create_user("boss", ["admin"])
    refused = clerk.submit(
        f"/admin/users/{boss.id}/password", {"new_password": "takeover-123", "confirm": "takeover-123"}
    )
    assert "You cannot manage a user who holds permissions you do not hold yourself." in html(refused)
    clerk.submit(f"/admin/users/{boss.id}/deactivate", {})
    from app.auth.models import User
    from app.extensions import db

    with app.app_context():
        assert db.session.get(User, boss.id).is_active is True


def test_the_last_administrator_cannot_be_removed(app, login):
    admin = login("admin")
    from app.auth.models import User
    from app.extensions import db

    with app.app_context():
        others = db.session.scalars(sa.select(User).where(User.id != admin.user.id)).all()
        assert all("roles.manage" not in {p for r in u.roles for p in r.permission_names} for u in others)
    response = _edit_role(admin, _role_id(app, "admin"), remove=["roles.manage"])
    assert response.status_code == 200
    assert "leave nobody able to manage users and roles" in html(response)
    refused = admin.submit(f"/admin/users/{admin.user.id}/deactivate", {})
    assert refused.status_code == 302
    assert "You cannot deactivate your own account." in html(admin.get(f"/admin/users/{admin.user.id}"))


def test_a_user_manager_cannot_reactivate_or_reset_a_deactivated_stronger_account(app, login, create_role, create_user):
    from app.auth.models import User
    from app.extensions import db

    helpdesk = login(create_role("helpdesk", ["users.view", "users.manage"]).name)
    former_admin = create_user("former_boss", ["admin"], is_active=False)
    reset = helpdesk.submit(
        f"/admin/users/{former_admin.id}/password", {"new_password": "takeover-456", "confirm": "takeover-456"}
    )
    assert "You cannot manage a user who holds permissions you do not hold yourself." in html(reset)
    reactivate = helpdesk.submit(f"/admin/users/{former_admin.id}/reactivate", {})
    assert "You cannot manage a user who holds permissions you do not hold yourself." in html(
        helpdesk.get(reactivate.headers["Location"])
    )
    with app.app_context():
        assert db.session.get(User, former_admin.id).is_active is False
