"""Table versions: every write through SQLAlchemy moves the version of the table it names when
its transaction ends, and again once the connection is handed back after the commit, so no copy
read while the commit was under way outlives it."""

import sqlalchemy as sa


def test_a_write_moves_the_version_at_commit_and_again_after_it(committed_app):
    from app.core import refcache
    from app.extensions import db

    with committed_app.app_context():
        refcache.watch("products")

        def version() -> bytes:
            return refcache.versions("products")[0]  # outside a request: read afresh every time

        before = version()
        with db.engine.connect() as conn:
            conn.execute(sa.text("SELECT count(*) FROM products"))
            conn.execute(sa.text("UPDATE users SET display_name = display_name WHERE id < 0"))
            conn.commit()
            assert version() == before  # reads and other tables leave it alone
            conn.execute(sa.text("UPDATE products SET note = note WHERE id < 0"))
            assert version() == before  # nothing is visible to others before the commit
            conn.commit()
            at_commit = version()
            assert at_commit != before
        assert version() != at_commit  # and again once the commit is surely done


def test_a_rollback_moves_the_version_too(committed_app):
    """A copy may have been read from the transaction's own uncommitted rows."""
    from app.core import refcache
    from app.extensions import db

    with committed_app.app_context():
        refcache.watch("product_categories")
        before = refcache.versions("product_categories")[0]
        with db.engine.connect() as conn:
            conn.execute(sa.text("DELETE FROM product_categories WHERE id < 0"))
            conn.rollback()
        assert refcache.versions("product_categories")[0] != before


def test_a_change_made_past_the_app_is_read_again_after_kept_seconds(committed_app, monkeypatch):
    """Another program writing to the database moves no version; a kept copy is read again at the
    latest KEPT_SECONDS after it was made."""
    from app.core import refcache
    from app.extensions import db
    from app.products.models import Brand

    cache = refcache.VersionedCache(("brands",))

    def names() -> list[str]:
        return sorted(db.session.scalars(sa.select(Brand.name)))

    with committed_app.app_context():
        first = cache.get("names", names)
    outside = sa.create_engine(committed_app.config["SQLALCHEMY_DATABASE_URI"])  # no app: not seen
    try:
        with outside.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO brands (name, name_key, name_zh, note, created_at, updated_at, version_id) "
                    "VALUES ('PASTAPP', 'PASTAPP', '', '', :now, :now, 1)"
                ),
                {"now": "2026-01-01 00:00:00"},
            )
        with committed_app.app_context():
            assert cache.get("names", names) == first  # still the kept copy
            later = refcache.monotonic() + committed_app.config["KEPT_SECONDS"] + 1
            monkeypatch.setattr(refcache, "monotonic", lambda: later)
            assert "PASTAPP" in cache.get("names", names)
    finally:
        with outside.begin() as conn:
            conn.execute(sa.text("DELETE FROM brands WHERE name = 'PASTAPP'"))
        outside.dispose()
