"""Error pages: translated, and an unexpected error keeps nothing half-done."""

import sqlalchemy as sa

from tests.support import html


def test_an_unexpected_error_shows_the_500_page_and_rolls_back(app, app_config):
    from app import create_app
    from app.auth.access import public
    from app.auth.models import Role
    from app.extensions import db

    fresh = create_app({**app_config, "TESTING": False, "PROPAGATE_EXCEPTIONS": False})

    @fresh.get("/boom")
    @public
    def boom():
        db.session.add(Role(name="half_done", title_zh="x", title_en="x", description=""))
        db.session.flush()
        raise RuntimeError("something broke")

    response = fresh.test_client().get("/boom?lang=zh")
    assert response.status_code == 500
    page = html(response)
    assert "出错了" in page
    assert "您的修改未保存" in page
    assert "something broke" not in page
    with fresh.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Role).where(Role.name == "half_done")) == 0
        db.session.remove()
        db.engines[None].dispose()


def test_404_and_405_pages(client):
    missing = client.get("/no/such/page")
    assert missing.status_code == 404
    assert "Not found" in html(missing)
    wrong_method = client.put("/login")
    assert wrong_method.status_code == 405


def test_api_paths_answer_errors_as_json(client):
    response = client.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.get_json() == {
        "error": "Not found",
        "message": "The page or record does not exist, or you may not see it.",
    }
