"""User administration: list and search, create, edit, deactivate and reactivate, reset password."""

import sqlalchemy as sa

from tests.support import form_fields, html, replace_field


def _role_id(app, name):
    from app.auth.models import Role
    from app.extensions import db

    with app.app_context():
        return db.session.scalar(sa.select(Role.id).where(Role.name == name))


def _new_user_form(app, **overrides):
    data = {
        "username": "newbie",
        "display_name": "New Person",
        "email": "newbie@example.com",
        "phone": "021-5555",
        "locale": "zh",
        "timezone": "Asia/Shanghai",
        "password": "first-password-1",
        "roles": str(_role_id(app, "sales")),
    }
    data.update(overrides)
    return data


def test_user_list_searches_and_filters(login, create_user):
    admin = login("admin")
    create_user("annie", ["sales"], display_name="Annie Sales")
    create_user("bert", ["warehouse"], display_name="Bert Store", is_active=False)
    page = html(admin.get("/admin/users/?q=ANNIE"))
    assert "Annie Sales" in page and "Bert Store" not in page
    assert "Bert Store" not in html(admin.get("/admin/users/"))  # active users by default
    assert "Bert Store" in html(admin.get("/admin/users/?status=inactive"))
    all_page = html(admin.get("/admin/users/?status=all"))
    assert "Annie Sales" in all_page and "Bert Store" in all_page


def test_user_list_filters_by_role_and_shows_an_empty_state(app, login, create_user):
    admin = login("admin")
    create_user("carl", ["finance"], display_name="Carl Money")
    page = html(admin.get(f"/admin/users/?role={_role_id(app, 'finance')}"))
    assert "Carl Money" in page
    empty = html(admin.get("/admin/users/?q=zzzz-nobody"))
    assert "data-empty-state" in empty
    assert "No users match these filters." in empty


def test_search_treats_like_wildcards_literally(login, create_user):
    admin = login("admin")
    create_user("dora_x", ["sales"], display_name="Dora")
    create_user("doraxx", ["sales"], display_name="Dorax")
    page = html(admin.get("/admin/users/?q=dora_"))
    assert "Dora</td>" in page and "Dorax" not in page


def test_create_user_with_roles(app, login):
    from app.auth.models import User
    from app.extensions import db

    admin = login("admin")
    response = admin.submit("/admin/users/new", _new_user_form(app))
    assert response.status_code == 302
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "newbie"))
        assert [r.name for r in user.roles] == ["sales"]
        assert user.locale == "zh"
        assert user.created_by_id == admin.user.id
    assert "User newbie created." in html(admin.get(response.headers["Location"]))


def test_create_user_errors_keep_what_was_typed(app, login, create_user):
    admin = login("admin")
    create_user("taken", ["sales"])
    response = admin.submit("/admin/users/new", _new_user_form(app, username="taken", display_name="Typed Name"))
    assert response.status_code == 200
    page = html(response)
    assert "The username taken is already taken." in page
    assert 'value="Typed Name"' in page
    assert 'value="newbie@example.com"' in page
    assert "first-password-1" not in page  # passwords are never sent back
    bad = admin.submit("/admin/users/new", _new_user_form(app, username="a b", password="short"))
    assert "A username is 3 to 64 characters" in html(bad)
    weak = admin.submit("/admin/users/new", _new_user_form(app, password="short"))
    assert "at least 10 characters" in html(weak)
    email = admin.submit("/admin/users/new", _new_user_form(app, email="not-an-email"))
    assert "is-invalid" in html(email)


def test_edit_user_changes_details_and_roles(app, login, create_user):
    from app.auth.models import User
    from app.extensions import db

    admin = login("admin")
    target = create_user("edna", ["sales"])
    path = f"/admin/users/{target.id}/edit"
    fields = form_fields(html(admin.get(path)))
    fields = replace_field(fields, "display_name", "Edna Changed")
    fields = replace_field(fields, "roles", str(_role_id(app, "sales")), str(_role_id(app, "finance")))
    response = admin.post(path, data=fields)
    assert response.status_code == 302
    with app.app_context():
        user = db.session.get(User, target.id)
        assert user.display_name == "Edna Changed"
        assert sorted(r.name for r in user.roles) == ["finance", "sales"]


def test_concurrent_edits_do_not_overwrite_each_other(app, login, create_user):
    from app.auth.models import User
    from app.extensions import db

    first = login("admin", username="first_admin")
    second = login("admin", username="second_admin")
    target = create_user("fred", ["sales"])
    path = f"/admin/users/{target.id}/edit"
    form_a = form_fields(html(first.get(path)))
    form_b = form_fields(html(second.get(path)))
    assert first.post(path, data=replace_field(form_a, "display_name", "Fred by First")).status_code == 302
    refused = second.post(path, data=replace_field(form_b, "phone", "13800000000"))
    assert refused.status_code == 200
    page = html(refused)
    assert "data-conflict" in page
    assert "First_Admin saved it at" in page
    assert "Fred by First" in page  # their value, shown beside ...
    assert 'value="13800000000"' in page  # ... what this user typed, still in the form
    with app.app_context():
        user = db.session.get(User, target.id)
        assert user.display_name == "Fred by First"
        assert user.phone is None
    # Having seen the difference, saving again keeps this user's version.
    again = second.post(path, data=form_fields(page))
    assert again.status_code == 302
    with app.app_context():
        assert db.session.get(User, target.id).phone == "13800000000"


def test_deactivate_and_reactivate(app, login, create_user, make_client):
    from app.auth.models import User
    from app.extensions import db

    admin = login("admin")
    target = create_user("gail", ["sales"])
    page = html(admin.get(f"/admin/users/{target.id}"))
    assert "data-confirm=" in page  # deactivation asks first
    response = admin.submit(f"/admin/users/{target.id}/deactivate", {})
    assert response.status_code == 302
    assert "is deactivated and has been signed out everywhere" in html(admin.get(response.headers["Location"]))
    with app.app_context():
        assert db.session.get(User, target.id).is_active is False
    assert make_client().login("gail").status_code == 200
    admin.submit(f"/admin/users/{target.id}/reactivate", {})
    assert make_client().login("gail").status_code == 302


def test_user_detail_shows_roles_permissions_and_history(login, create_user):
    admin = login("admin")
    target = create_user("hugo", ["warehouse"])
    admin.submit(f"/admin/users/{target.id}/deactivate", {})
    page = html(admin.get(f"/admin/users/{target.id}"))
    assert "inventory.adjust" in page
    assert "data-history" in page
    assert "Active" in page


def test_users_view_without_manage_sees_no_edit_buttons(login, create_user):
    manager = login("manager")
    target = create_user("ines", ["sales"])
    page = html(manager.get(f"/admin/users/{target.id}"))
    assert 'id="user-edit"' not in page
    assert 'id="user-deactivate"' not in page
    assert manager.get(f"/admin/users/{target.id}/edit").status_code == 403


def test_unknown_user_is_404(login):
    admin = login("admin")
    assert admin.get("/admin/users/999999").status_code == 404
    assert admin.get("/admin/users/999999/edit").status_code == 404


def test_the_user_signing_in_or_switching_language_does_not_block_an_admins_edit(app, login, make_client, create_user):
    admin = login("admin")
    target = create_user("tom", ["sales"])
    path = f"/admin/users/{target.id}/edit"
    fields = form_fields(html(admin.get(path)))
    tom = make_client()
    tom.login("tom")
    tom.submit("/language", {"lang": "zh", "next": "/"})
    response = admin.post(path, data=replace_field(fields, "phone", "021-1234"))
    assert response.status_code == 302, "the admin's save was refused as a conflict"
