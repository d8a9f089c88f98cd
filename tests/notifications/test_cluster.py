"""Several processes, one database, one Redis: two web instances and one Socket.IO-only realtime
instance started with the deploy/ configs, nginx in front with the deploy/ site. Events emitted by
any process (a web instance, a CLI job) reach pages connected to another; access changes made
through one instance hold on the others at once."""

from __future__ import annotations

import re

import pytest
import requests
import socketio

from tests import support
from tests.live import WebUser

pytestmark = pytest.mark.live


def _signed_in(server, username: str) -> WebUser:
    person = WebUser(server)
    assert person.login(username).status_code == 302
    return person


def _user_id(admin: WebUser, username: str) -> int:
    page = admin.get(f"/admin/users/?q={username}").text
    return int(re.search(rf'href="/admin/users/(\d+)">{username}<', page).group(1))


def _broadcast(sender: WebUser, title: str, roles: list[int] | None = None) -> None:
    fields = [("title", title), ("audience", "roles" if roles else "everyone")]
    fields += [("roles", str(r)) for r in roles or []]
    response = sender.submit("/notifications/broadcasts/new", fields)
    assert response.status_code == 302, response.text[:1000]


def test_an_event_through_web_instance_b_reaches_a_client_connected_to_the_realtime_instance(cluster, listen):
    seller = _signed_in(cluster.a, "sales")
    page = listen(seller, cluster.realtime.url)
    assert page.client.call("sync", {}, timeout=10)["unread"] >= 0

    _broadcast(_signed_in(cluster.b, "admin"), "Pushed through B")
    pushed = page.wait_for("notification", lambda d: d["notification"]["title"] == "Pushed through B")
    assert pushed["notification"]["kind"] == "broadcast"


def test_a_web_instance_holds_live_connections_too_as_make_run_serves_them(cluster, listen):
    # One gthread process serving pages and Socket.IO (threading mode) is the embedded default.
    buyer = _signed_in(cluster.a, "purchaser")
    page = listen(buyer, cluster.a.url)
    _broadcast(_signed_in(cluster.b, "admin"), "To a page on web instance A")
    page.wait_for("notification", lambda d: d["notification"]["title"] == "To a page on web instance A")


def test_a_cli_job_reaches_connected_pages_through_the_message_queue(cluster, listen):
    keeper = _signed_in(cluster.b, "warehouse")
    page = listen(keeper, cluster.realtime.url)
    result = cluster.live.flask("messages", "send", "--title", "From a scheduled job", "--role", "warehouse")
    assert result.returncode == 0
    page.wait_for("notification", lambda d: d["notification"]["title"] == "From a scheduled job")


def test_through_nginx_pages_hear_of_a_message_sent_on_whichever_web_instance_nginx_chose(cluster, listen):
    boss, seller = _signed_in(cluster.nginx, "manager"), _signed_in(cluster.nginx, "sales2")
    boss_page, seller_page = listen(boss, cluster.nginx.url), listen(seller, cluster.nginx.url)
    admin = _signed_in(cluster.nginx, "admin")
    for n in range(2):  # nginx takes turns between A and B
        _broadcast(admin, f"Through nginx {n}")
    for page in (boss_page, seller_page):
        for n in range(2):
            page.wait_for("notification", lambda d, n=n: d["notification"]["title"] == f"Through nginx {n}")


def test_socket_io_refuses_a_page_of_another_origin_and_a_visitor(cluster):
    visitor = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        visitor.connect(cluster.nginx.url, transports=["websocket"], wait_timeout=5)
    seller = _signed_in(cluster.nginx, "sales")
    cookie = seller.http.cookies.get("erp_session")
    foreign = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        foreign.connect(
            cluster.nginx.url,
            headers={"Cookie": f"erp_session={cookie}", "Origin": "http://evil.example"},
            transports=["websocket"],
            wait_timeout=5,
        )


def test_the_realtime_instance_serves_no_pages(cluster):
    assert requests.get(cluster.realtime.url + "/login", timeout=10).status_code == 404
    assert requests.get(cluster.realtime.url + "/healthz", timeout=10).status_code == 200


def test_a_role_change_through_a_reaches_open_pages_and_holds_on_b_at_once(cluster, listen):
    admin = _signed_in(cluster.a, "admin")
    buyer = _signed_in(cluster.b, "purchaser")
    page = listen(buyer, cluster.nginx.url)
    assert buyer.get("/admin/users/").status_code == 403

    role_page = admin.get("/admin/roles/").text
    role_id = int(
        re.search(r'href="/admin/roles/(\d+)/edit">[^<]*</a></td>\s*<td><code>purchaser</code>', role_page)[1]
    )
    path = f"/admin/roles/{role_id}/edit"
    fields = support.form_fields(admin.get(path).text, "role-form")
    granted = [v for k, v in fields if k == "permissions"] + ["users.view"]
    assert admin.post_fields(path, support.replace_field(fields, "permissions", *granted)).status_code in (302, 303)

    page.wait_for("access_changed")
    assert page.client.call("sync", {}, timeout=10)["access_changed"] is True
    assert buyer.get("/admin/users/").status_code == 200  # B's very next request
    assert 'href="/admin/users/"' in buyer.get("/api/menu").text

    fields = support.form_fields(admin.get(path).text, "role-form")
    kept = [v for k, v in fields if k == "permissions" and v != "users.view"]
    assert admin.post_fields(path, support.replace_field(fields, "permissions", *kept)).status_code in (302, 303)
    assert buyer.get("/admin/users/").status_code == 403


def test_deactivation_through_b_sends_open_pages_to_sign_in_and_ends_their_connection(cluster, listen):
    admin = _signed_in(cluster.b, "admin")
    keeper = _signed_in(cluster.a, "warehouse")
    page = listen(keeper, cluster.nginx.url)
    user_id = _user_id(admin, "warehouse")

    response = admin.submit(f"/admin/users/{user_id}/deactivate", {}, token_from=f"/admin/users/{user_id}")
    assert response.status_code in (302, 303)
    page.wait_for("signed_out")
    page.client.emit("sync", {})  # a page that ignored it: answered by the end of its connection
    page.wait_for("disconnect")
    try:
        assert keeper.get("/").status_code == 302
        _broadcast(admin, "After deactivation")
        assert "notification" not in page.names()
    finally:
        response = admin.submit(f"/admin/users/{user_id}/reactivate", {}, token_from=f"/admin/users/{user_id}")
        assert response.status_code in (302, 303)
