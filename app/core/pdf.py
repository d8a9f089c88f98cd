"""Printed documents: HTML templates extending ``_pdf/document.html`` rendered by WeasyPrint.

A document is printed in its own language (the customer's, or the one asked for), never the
reader's: the template is rendered under ``force_locale``. Every glyph comes from the CJK font
bundled under ``static/fonts/``, so Chinese prints the same on a server without CJK fonts. The
letterhead logo is fetched from its URL through Flask-WeasyPrint, which runs that request inside
the application as the person printing. A finished document (no longer a draft) may be cached in
Redis under a key naming every version its text depends on.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import flask_weasyprint
from flask import current_app, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from weasyprint.text.fonts import FontConfiguration

from app.extensions import redis_store

LANGUAGES = ("zh", "en")
CACHE_SECONDS = 3600
FONT_FILES = {"normal": "fonts/NotoSansSC-Regular.otf", "bold": "fonts/NotoSansSC-Bold.otf"}


def document_language(preferred: str | None, asked: str | None = None) -> str:
    """``asked`` when it is a language we print in, else ``preferred`` (the customer's), else Chinese."""
    if asked in LANGUAGES:
        return asked
    return preferred if preferred in LANGUAGES else LANGUAGES[0]


def _css_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ").replace("<", "")
    return f'"{escaped}"'


def page_counter() -> str:
    """CSS ``content`` for "Page 1 of 3" in the current language, from the translated sentence."""
    text = _("Page %(page)s of %(pages)s", page="\x01", pages="\x02")
    parts: list[str] = []
    for piece in text.replace("\x02", "\x00\x02\x00").replace("\x01", "\x00\x01\x00").split("\x00"):
        if piece == "\x01":
            parts.append("counter(page)")
        elif piece == "\x02":
            parts.append("counter(pages)")
        elif piece:
            parts.append(_css_string(piece))
    return " ".join(parts)


def _font_urls() -> dict[str, str]:
    static = Path(current_app.static_folder)
    return {weight: (static / path).as_uri() for weight, path in FONT_FILES.items()}


def letterhead(lang: str) -> dict[str, object]:
    """The company block every document starts with."""
    from app.system.settings import company_settings

    settings = company_settings()
    return {
        "settings": settings,
        "company_name": settings.name(lang),
        "logo_url": url_for("system.settings_logo", v=settings.version_id) if settings.logo else None,
    }


def letterhead_version() -> int:
    from app.system.settings import company_settings

    return company_settings().version_id or 0


def render_html(template: str, lang: str, context: Callable[[], dict], *, screen: bool = False, **extra) -> str:
    """``template`` in ``lang``; ``context`` is called under that language, so lazy labels it
    builds come out in the document's language too. ``screen`` makes the browser print page."""
    with force_locale(lang):
        return render_template(
            template,
            lang=lang,
            screen=screen,
            languages=LANGUAGES,
            # On screen the browser's own CJK fonts do (a 16 MB download would not); the PDF embeds ours.
            fonts=None if screen else _font_urls(),
            page_counter=page_counter(),
            **letterhead(lang),
            **context(),
            **extra,
        )


_fonts = threading.local()


def _font_config() -> FontConfiguration:
    """This thread's font configuration, kept between documents: WeasyPrint loads a @font-face
    once per configuration (the bundled CJK fonts are 16 MB), and a configuration must not be
    shared between threads."""
    config = getattr(_fonts, "config", None)
    if config is None:
        config = _fonts.config = FontConfiguration()
    return config


@contextmanager
def _cycle_collection_paused() -> Iterator[None]:
    """Pause the garbage collector for the block. Printing 200 lines allocates enough for full
    collections, and each walked every object of the application (some 300,000, 0.2 s a time):
    a quarter to a third of the print went there. A print leaves few reference cycles, and the
    collector picks them up once it runs again; a print started while another one had it paused
    leaves it to that one to resume it."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def render_pdf(template: str, lang: str, context: Callable[[], dict], *, cache_key: tuple | None = None) -> bytes:
    """Render ``template`` as an A4 PDF in ``lang``; with ``cache_key`` (every version the text
    depends on) from and into the cache. Needs a request context (the logo is fetched by URL)."""
    key = None
    if cache_key is not None:
        key = redis_store.key("pdf", *cache_key, lang, letterhead_version())
        cached = redis_store.get(key)
        if cached is not None:
            return cached
    with _cycle_collection_paused():
        document = flask_weasyprint.HTML(string=render_html(template, lang, context))
        data = document.write_pdf(font_config=_font_config())
    if key is not None:
        redis_store.set(key, data, ex=CACHE_SECONDS)
    return data
