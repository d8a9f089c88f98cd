"""Flask commands: seed-demo, create-admin, translate, stock, messages."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from app import BASE_DIR, DOMAINS
from app.core.errors import DomainError
from app.extensions import db
from app.inventory.cli import stock
from app.notifications.cli import messages

TRANSLATIONS = BASE_DIR / "translations"
POT = TRANSLATIONS / "messages.pot"
# Babel skips directories starting with "_" by default; templates/_macros must be scanned.
IGNORE_DIRS = ".* __pycache__ node_modules"


def register(app: Flask) -> None:
    app.cli.add_command(seed_demo)
    app.cli.add_command(create_admin)
    app.cli.add_command(translate)
    app.cli.add_command(stock)
    app.cli.add_command(messages)


def run_demo_seed(echo=click.echo) -> None:
    """Run every domain's demo seed, lowest layer first; each is idempotent."""
    import importlib
    import importlib.util

    for domain in DOMAINS:
        name = f"app.{domain}.seed"
        if importlib.util.find_spec(name) is None:
            continue
        module = importlib.import_module(name)
        module.seed_demo(echo)
        db.session.commit()


@click.command("seed-demo")
@with_appcontext
def seed_demo() -> None:
    """Create the demo users, roles and business data (safe to run again)."""
    if current_app.config["ENV_NAME"] == "production":
        raise click.ClickException("seed-demo creates users with a known password; it does not run in production.")
    run_demo_seed()
    click.echo("Demo data ready.")


@click.command("create-admin")
@click.option("--username", prompt=True)
@click.option("--display-name", prompt=True)
@click.option("--email", default="", prompt="E-mail (optional)", show_default=False)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@with_appcontext
def create_admin(username: str, display_name: str, email: str, password: str) -> None:
    """Create a user holding the admin role."""
    from app.auth import services
    from app.auth.seed import ensure_default_roles

    roles = ensure_default_roles()
    try:
        user = services.create_user(
            services.UserData(username=username.strip(), display_name=display_name, email=email or None),
            password,
            [roles["admin"].id],
            by=None,
        )
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"Administrator {user.username} created.")


translate = AppGroup("translate", help="Extract, update and compile the zh/en message catalogues.")


def _pybabel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], check=True, cwd=BASE_DIR)


@translate.command("extract")
def translate_extract() -> None:
    """Extract every translatable string into translations/messages.pot."""
    _pybabel(
        "extract",
        "-F",
        "babel.cfg",
        "-k",
        "_l",
        "-k",
        "lazy_gettext",
        "-k",
        "N_",
        "--no-location",
        "--sort-output",
        "--ignore-dirs",
        IGNORE_DIRS,
        "-o",
        str(POT),
        ".",
    )


@translate.command("update")
def translate_update() -> None:
    """Extract, then merge into the zh and en catalogues (en entries are filled with the source text)."""
    translate_extract.callback()
    for lang in current_app.config["LANGUAGES"]:
        po = TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po"
        if po.exists():
            _pybabel(
                "update",
                "-i",
                str(POT),
                "-d",
                str(TRANSLATIONS),
                "-l",
                lang,
                "--no-fuzzy-matching",
                "--ignore-obsolete",
            )
        else:
            _pybabel("init", "-i", str(POT), "-d", str(TRANSLATIONS), "-l", lang)
    fill_english(TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po")
    rewrite_catalogue(TRANSLATIONS / "zh" / "LC_MESSAGES" / "messages.po", "zh")


def rewrite_catalogue(path: Path, locale: str, fill=None) -> None:
    """Rewrite a catalogue sorted, 120 columns wide (as the repository keeps them), after ``fill``."""
    from babel.messages.pofile import read_po, write_po

    with path.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    if fill is not None:
        for message in catalog:
            if message.id:
                fill(message)
    with path.open("wb") as fh:
        write_po(fh, catalog, width=120, sort_output=True, omit_header=False)


def fill_english(path: Path) -> None:
    """English is the source language: every en entry translates to its own msgid."""

    def own_text(message) -> None:
        message.string = (message.id[0], message.id[1]) if message.pluralizable else message.id
        message.flags.discard("fuzzy")

    rewrite_catalogue(path, "en", own_text)


@translate.command("compile")
def translate_compile() -> None:
    """Compile the .po catalogues to .mo files."""
    _pybabel("compile", "-d", str(TRANSLATIONS), "--statistics")
