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
