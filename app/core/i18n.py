"""Language and time zone selection, and locale-aware formatting for templates."""

from __future__ import annotations

import os
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import flask_babel
from babel.numbers import format_currency as babel_format_currency
from babel.numbers import format_decimal as babel_format_decimal
from flask import Flask, current_app, g, has_request_context, request, session
from flask_babel import format_date, format_datetime, get_locale, get_timezone
from flask_login import current_user

LANG_ARG = "lang"
SESSION_LANG = "lang"


def supported_languages() -> tuple[str, ...]:
    return tuple(current_app.config["LANGUAGES"])


def select_locale() -> str:
    """?lang= for this request, else the user's setting, else the visitor's choice, else Accept-Language."""
    languages = supported_languages()
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    if not has_request_context():
        # Commands speak the language of the shell they run in.
        shell = os.environ.get("LC_ALL") or os.environ.get("LC_MESSAGES") or os.environ.get("LANG") or ""
        return shell[:2] if shell[:2] in languages else default
    asked = request.args.get(LANG_ARG)
    if asked in languages:
        return asked
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    chosen = session.get(SESSION_LANG)
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages, default=default) or default


def select_timezone() -> str:
    if has_request_context() and current_user and current_user.is_authenticated and current_user.timezone:
        return current_user.timezone
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def language() -> str:
    """The current language's code ("zh", "en"), ``force_locale`` included.

    The same answer as ``str(get_locale())`` for our languages, read with one context lookup:
    Flask-Babel's ``get_locale`` takes several, and a list page asks a few hundred times (every
    translated string, every product or category name)."""
    try:
        locale = g._flask_babel.babel_locale
    except (AttributeError, RuntimeError):
        locale = None
    if locale is None:
        locale = get_locale()
        if locale is None:
            return current_app.config["BABEL_DEFAULT_LOCALE"]
    return locale.language


def html_lang() -> str:
    return "zh-CN" if language() == "zh" else language()


def _babel_locale() -> str:
    return "zh_Hans_CN" if language() == "zh" else "en_US"


def user_zone() -> ZoneInfo:
    """The user's time zone as a zoneinfo object (Babel hands out pytz zones, which must not be
    passed as tzinfo)."""
    return ZoneInfo(str(get_timezone()))


def user_today() -> date:
    return datetime.now(user_zone()).date()


def day_start(day: date) -> datetime:
    """Midnight starting ``day`` in the user's time zone, as an aware datetime."""
    return datetime.combine(day, time.min, tzinfo=user_zone())


def day_end(day: date) -> datetime:
    """Midnight ending ``day`` (the start of the next one) in the user's time zone."""
    return day_start(day + timedelta(days=1))


def parse_day(value: str | None) -> date | None:
    """A date typed as YYYY-MM-DD, or None for anything else."""
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        return None


def format_dt(value: datetime | None, fmt: str = "short") -> str:
    if value is None:
        return ""
    return format_datetime(value, "yyyy-MM-dd HH:mm" if fmt == "short" else fmt)


def format_day(value: date | datetime | None) -> str:
    if value is None:
        return ""
    return format_date(value, "yyyy-MM-dd")


def format_number(value: Decimal | int | float | None, digits: int | None = None) -> str:
    if value is None:
        return ""
    pattern = None
    if digits is not None:
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return babel_format_decimal(value, format=pattern, locale=_babel_locale())


def grouped(value: Decimal | int | float, min_decimals: int = 0, max_decimals: int = 3) -> str:
    """1234.5 → "1,234.5": the digit grouping and decimal point of both zh_CN and en_US.

    Much faster than Babel's pattern machinery, which matters on list pages with hundreds of
    numbers; it is only correct for locales that write numbers this way (the two we serve).
    """
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    text = f"{value:,.{max_decimals}f}"
    if max_decimals > min_decimals and "." in text:
        whole, frac = text.split(".")
        frac = frac.rstrip("0")
        if len(frac) < min_decimals:
            frac = frac.ljust(min_decimals, "0")
        text = f"{whole}.{frac}" if frac else whole
    return text


def format_price(value: Decimal | int | None) -> str:
    """A unit price: at least two decimals, up to four when they matter."""
    if value is None:
        return ""
    return babel_format_decimal(value, format="#,##0.00##", locale=_babel_locale())


def format_money(value: Decimal | int | None, currency: str = "CNY") -> str:
    if value is None:
        return ""
    return babel_format_currency(value, currency, locale=_babel_locale())


def _translations():
    """The request's catalogue for the current locale, looked up once per request and locale.

    Flask-Babel finds the catalogue anew for every string (context lookups, the locale's
    identifier as a cache key); a page prints a few hundred strings.
    """
    code = language()
    cache = g.setdefault("erp_translations", {})
    translations = cache.get(code)
    if translations is None:
        translations = cache[code] = flask_babel.get_translations()
    return translations


def init_i18n(app: Flask) -> None:
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
    )
    app.jinja_env.filters["dt"] = format_dt
    app.jinja_env.filters["day"] = format_day
    app.jinja_env.filters["number"] = format_number
    app.jinja_env.filters["money"] = format_money
    app.jinja_env.filters["price"] = format_price
    app.jinja_env.globals["html_lang"] = html_lang
    app.jinja_env.globals["current_locale"] = language
