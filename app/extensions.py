"""Bare extension instances; each is bound to the app in ``create_app``."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_principal import Principal
from flask_session import Session as ServerSession
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from app.core.db import Base
from app.core.realtime import SocketIOHub
from app.core.redis import RedisStore

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
principal = Principal(use_sessions=False, skip_static=True)
csrf = CSRFProtect()
babel = Babel()
server_session = ServerSession()
limiter = Limiter(key_func=get_remote_address)
redis_store = RedisStore()
socketio = SocketIOHub()
