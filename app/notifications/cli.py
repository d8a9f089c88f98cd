"""``flask messages send``: a broadcast from the shell or a scheduled job (e.g. before maintenance).

It reaches open pages through the same message queue as the web instances' pushes.
"""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import AppGroup
from flask_babel import gettext as _

from app.auth.models import Role
from app.core.errors import DomainError
from app.extensions import db
from app.notifications import services

messages = AppGroup("messages", help="Messages to everyone or to the holders of some roles (消息管理).")


@messages.command("send")
@click.option("--title", required=True, help="Title, as everyone will read it.")
@click.option("--body", default="", help="The message.")
@click.option("--link", default="", help="A page of the console it points to, e.g. /quotations/.")
@click.option("--role", "roles", multiple=True, help="Role code (repeat for several); none: everyone.")
def send(title: str, body: str, link: str, roles: tuple[str, ...]) -> None:
    """Send a message now; who holds the roles is decided at this moment."""
    role_ids = None
    if roles:
        found = dict(db.session.execute(sa.select(Role.name, Role.id).where(Role.name.in_(roles))).all())
        unknown = sorted(set(roles) - set(found))
        if unknown:
            raise click.ClickException(_("Unknown role: %(names)s", names=", ".join(unknown)))
        role_ids = list(found.values())
    try:
        broadcast = services.send_broadcast(title, body, link, role_ids)
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(_("Message sent to %(n)d people.", n=broadcast.recipient_count))
