"""Flask commands: seed-demo and create-admin."""

import sqlalchemy as sa

DEMO_USERS = {
    "admin": "admin",
    "manager": "manager",
    "sales": "sales",
    "sales2": "sales",
    "warehouse": "warehouse",
    "purchaser": "purchaser",
    "finance": "finance",
}


def _users(app):
    from app.auth.models import User
    from app.extensions import db

    with app.app_context():
        return {u.username: [r.name for r in u.roles] for u in db.session.scalars(sa.select(User))}


def test_seed_demo_creates_one_user_per_role_and_is_idempotent(app, make_client):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert _users(app) == {name: [role] for name, role in DEMO_USERS.items()}
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0, second.output
    assert "0 demo users created" in second.output
    assert len(_users(app)) == len(DEMO_USERS)
    # The demo password from the configuration signs them in.
    c = make_client()
    response = c.login("sales2", app.config["DEMO_PASSWORD"])
    assert response.status_code == 302


def test_create_admin_from_flags(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "create-admin",
            "--username",
            "root2",
            "--display-name",
            "Root Two",
            "--email",
            "",
            "--password",
            "a-strong-password",
        ]
    )
    assert result.exit_code == 0, result.output
    assert _users(app)["root2"] == ["admin"]


def test_create_admin_from_prompts_and_policy(app):
    runner = app.test_cli_runner()
    weak = runner.invoke(
        args=["create-admin"], input="root3\nRoot Three\n\nshort\nshort\n", env={"LANG": "en_US.UTF-8"}
    )
    assert weak.exit_code != 0
    assert "at least 10 characters" in weak.output
    chinese = runner.invoke(
        args=["create-admin"], input="root3\nRoot Three\n\nshort\nshort\n", env={"LANG": "zh_CN.UTF-8"}
    )
    assert "密码至少需要 10 个字符" in chinese.output
    ok = runner.invoke(args=["create-admin"], input="root3\nRoot Three\n\nlong-enough-pw\nlong-enough-pw\n")
    assert ok.exit_code == 0, ok.output
    assert _users(app)["root3"] == ["admin"]


def test_seed_demo_refuses_to_run_in_production(app_config, monkeypatch):
    from app import create_app

    monkeypatch.setenv("SECRET_KEY", "production-secret-for-this-test")
    overrides = {k: v for k, v in app_config.items() if k not in ("ERP_ENV", "SECRET_KEY")}
    production = create_app({**overrides, "ERP_ENV": "production"})
    result = production.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code != 0
    assert "does not run in production" in result.output
