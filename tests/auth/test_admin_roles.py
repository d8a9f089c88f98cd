"""Role administration: list, the permission grid, create, copy, edit, delete."""

import sqlalchemy as sa

from tests.support import form_fields, html, replace_field


def _role(app, name):
    from app.auth.models import Role
    from app.extensions import db

    with app.app_context():
        role = db.session.scalar(sa.select(Role).where(Role.name == name))
        return role.id, set(role.permission_names)


def test_role_list_shows_counts_and_titles_in_the_users_language(login):
    admin = login("admin")
    page = html(admin.get("/admin/roles/"))
    assert "Administrator" in page and "Warehouse" in page
    page_zh = html(admin.get("/admin/roles/?lang=zh"))
    assert "系统管理员" in page_zh and "库管" in page_zh
    assert "拥有全部权限。" in page_zh  # a default role's description, translated


def test_permission_grid_groups_permissions_by_resource(app, login):
    admin = login("admin")
    role_id, _perms = _role(app, "sales")
    page = html(admin.get(f"/admin/roles/{role_id}/edit"))
    assert 'data-resource="quotations"' in page
    assert 'data-group-toggle="quotations"' in page
    assert 'id="perm-quotations.approve"' in page
    assert "View all" in page and "See costs" in page
    page_zh = html(admin.get(f"/admin/roles/{role_id}/edit?lang=zh"))
    assert "报价单" in page_zh and "查看全部" in page_zh


def test_create_role_from_a_copy(app, login):
    admin = login("admin")
    source_id, source_perms = _role(app, "warehouse")
    page = html(admin.get(f"/admin/roles/new?copy={source_id}"))
    fields = form_fields(page, "role-form")
    assert {v for k, v in fields if k == "permissions"} == source_perms
    fields = replace_field(fields, "name", "night_shift")
    fields = replace_field(fields, "title_zh", "夜班库管")
    fields = replace_field(fields, "title_en", "Night shift")
    response = admin.post("/admin/roles/new", data=fields)
    assert response.status_code == 302
    assert _role(app, "night_shift")[1] == source_perms


def test_role_validation_errors_keep_the_ticked_permissions(login):
    admin = login("admin")
    response = admin.submit(
        "/admin/roles/new",
        [("name", "Bad Code!"), ("title_zh", "x"), ("title_en", "x"), ("permissions", "customers.view")],
        token_from="/admin/roles/new",
    )
    assert response.status_code == 200
    page = html(response)
    assert "A role code is 2 to 64 characters" in page
    assert 'value="customers.view" id="perm-customers.view" data-group="customers" checked' in page


def test_unknown_permission_names_are_refused(login):
    admin = login("admin")
    response = admin.submit(
        "/admin/roles/new",
        [("name", "odd"), ("title_zh", "x"), ("title_en", "x"), ("permissions", "customers.fly")],
    )
    assert response.status_code == 200
    assert "&#39;customers.fly&#39; is not a valid choice" in html(response)


def test_delete_role_refused_while_held_then_allowed(app, login, create_role, create_user):
    admin = login("admin")
    role = create_role("temp_role", ["customers.view"])
    holder = create_user("holder", [role.name])
    refused = admin.submit(f"/admin/roles/{role.id}/delete", {})
    assert refused.status_code == 302
    assert "is held by 1 user(s)" in html(admin.get(refused.headers["Location"]))
    path = f"/admin/users/{holder.id}/edit"
    fields = form_fields(html(admin.get(path)))
    admin.post(path, data=replace_field(fields, "roles", str(_role(app, "sales")[0])))
    done = admin.submit(f"/admin/roles/{role.id}/delete", {})
    assert done.status_code == 302
    assert "Role temp_role deleted." in html(admin.get(done.headers["Location"]))
    with app.app_context():
        from app.auth.models import Role
        from app.extensions import db

        assert db.session.get(Role, role.id) is None


def test_role_changes_are_in_the_operation_log(app, login):
    from app.core.audit import OperationLog
    from app.extensions import db

    admin = login("admin")
    role_id, perms = _role(app, "finance")
    path = f"/admin/roles/{role_id}/edit"
    fields = form_fields(html(admin.get(path)), "role-form")
    admin.post(path, data=replace_field(fields, "permissions", *sorted(perms | {"audit.view"})))
    with app.app_context():
        entry = db.session.scalars(
            sa.select(OperationLog).where(OperationLog.object_type == "role", OperationLog.object_id == role_id)
        ).all()[-1]
        old, new = entry.changes["grants"]
        assert "audit.view" not in old and "audit.view" in new
        assert entry.actor_id == admin.user.id


def test_a_name_taken_at_the_same_moment_is_a_form_error_not_a_crash(app):
    from app.auth import services
    from app.auth.models import Role
    from app.core.errors import DomainError
    from app.extensions import db

    with app.test_request_context("/?lang=en"):
        # Two sessions' worth of work colliding at the unique index, past the earlier checks.
        db.session.add(Role(name="twin_code", title_zh="a", title_en="a", description=""))
        db.session.add(Role(name="twin_code", title_zh="b", title_en="b", description=""))
        try:
            services._flush_unique("A role with the code twin_code already exists.")
        except DomainError as exc:
            assert "already exists" in str(exc)
        else:
            raise AssertionError("the duplicate was not refused")
        finally:
            db.session.rollback()
