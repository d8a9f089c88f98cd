"""Two app processes, one database, one Redis: a role change made through one instance is
enforced by the other on the affected user's very next request."""

import re

import pytest

from tests import support
from tests.conftest import RUN_ID
from tests.live import WebUser, live_environment

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def two_instances(redis_url):
    with live_environment("twoproc", redis_url, RUN_ID) as live:
        a = live.start_server()
        b = live.start_server()
        yield a, b


def _role_id(admin: WebUser, name: str) -> int:
    page = admin.get("/admin/roles/").text
    match = re.search(r'href="/admin/roles/(\d+)/edit">[^<]*</a></td>\s*<td><code>' + name + "</code>", page)
    assert match, "role not listed"
    return int(match.group(1))


def _set_permission(admin: WebUser, role_id: int, permission: str, granted: bool) -> None:
    path = f"/admin/roles/{role_id}/edit"
    fields = support.form_fields(admin.get(path).text, "role-form")
    current = [v for k, v in fields if k == "permissions"]
    wanted = sorted((set(current) | {permission}) if granted else (set(current) - {permission}))
    response = admin.post_fields(path, support.replace_field(fields, "permissions", *wanted))
    assert response.status_code in (302, 303), response.text[:2000]


def test_role_change_through_a_is_enforced_by_b_on_next_request(two_instances):
    a, b = two_instances
    admin = WebUser(a)
    assert admin.login("admin").status_code == 302
    sales = WebUser(b)
    assert sales.login("sales").status_code == 302

    # B has loaded and cached the salesperson's permissions: no user administration.
    assert sales.get("/admin/users/").status_code == 403
    assert 'href="/admin/users/"' not in sales.get("/").text

    sales_role = _role_id(admin, "sales")
    _set_permission(admin, sales_role, "users.view", granted=True)

    # The very next request on B runs with the new permission set; the menu shows it too.
    assert sales.get("/admin/users/").status_code == 200
    assert 'href="/admin/users/"' in sales.get("/").text

    _set_permission(admin, sales_role, "users.view", granted=False)
    assert sales.get("/admin/users/").status_code == 403


def test_deactivation_through_b_signs_the_user_out_on_a(two_instances):
    a, b = two_instances
    admin = WebUser(b)
    assert admin.login("admin").status_code == 302
    buyer = WebUser(a)
    assert buyer.login("purchaser").status_code == 302
    assert buyer.get("/").status_code == 200

    users = admin.get("/admin/users/?q=purchaser").text
    user_id = int(re.search(r'href="/admin/users/(\d+)">purchaser<', users).group(1))
    response = admin.submit(f"/admin/users/{user_id}/deactivate", {}, token_from=f"/admin/users/{user_id}")
    assert response.status_code in (302, 303)

    after = buyer.get("/")
    assert after.status_code == 302
    assert "/login" in after.headers["Location"]
    # The session itself is gone from Redis, not merely refused.
    assert buyer.login("purchaser").status_code == 200

    response = admin.submit(f"/admin/users/{user_id}/reactivate", {}, token_from=f"/admin/users/{user_id}")
    assert response.status_code in (302, 303)
    assert buyer.login("purchaser").status_code == 302
