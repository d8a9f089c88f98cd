"""A per-user index of server-side sessions, so a user's sessions can be listed and ended.

Flask-Session keeps each session under ``<prefix>session:<sid>`` with a sliding TTL (the idle
timeout). Next to it, ``<prefix>user_sessions:<user id>`` is a hash of that user's session ids
with when and from where each one signed in. Entries whose session has expired are pruned
whenever the index is read.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import Flask, current_app

from app.core import refcache
from app.core.realtime import session_room
from app.extensions import redis_store, socketio


@dataclass(frozen=True)
class SessionInfo:
    user_id: int
    sid: str
    ip: str
    user_agent: str
    login_at: datetime
    last_seen_at: datetime | None


TOUCHED_AT = "_touched"


def init_session_touch(app: Flask) -> None:
    """Write back an unchanged session at most every ``SESSION_TOUCH_SECONDS``.

    With ``SESSION_REFRESH_EACH_REQUEST`` Flask-Session rewrites the whole session in Redis on
    every request, only to slide its idle TTL. Here a session that a request changed is written as
    before, and an unchanged one only when its last write is ``SESSION_TOUCH_SECONDS`` old, so the
    idle timeout is exact to within that; a request that only reads the session writes nothing
    (and cannot put back a session another request has just changed).
    """
    interface = app.session_interface
    base = type(interface)

    class TouchingSessionInterface(base):
        def _retrieve_session_data(self, store_id: str):
            # The data versions kept pages are checked against travel with the session's GET:
            # read before the request reads anything from the database (refcache).
            pipe = self.client.pipeline(transaction=False)
            pipe.get(store_id)
            keep_versions = refcache.read_with(pipe)
            data, *versions = pipe.execute()
            keep_versions(versions)
            return self.serializer.decode(data) if data else None

        def should_set_storage(self, app: Flask, session) -> bool:
            now = int(time.time())
            if not session.modified and now - session.get(TOUCHED_AT, 0) < app.config["SESSION_TOUCH_SECONDS"]:
                return False
            session[TOUCHED_AT] = now
            return True

    # Flask-Session picks its interface class from SESSION_TYPE; the instance keeps its settings.
    interface.__class__ = TouchingSessionInterface


def _index_key(user_id: int) -> str:
    return redis_store.key("user_sessions", user_id)


def _session_key(sid: str) -> str:
    return current_app.config["SESSION_KEY_PREFIX"] + sid


def register(user_id: int, sid: str, ip: str | None, user_agent: str | None) -> None:
    """Record that ``sid`` belongs to ``user_id``."""
    meta = {"ip": ip or "", "ua": (user_agent or "")[:300], "login_at": int(time.time())}
    key = _index_key(user_id)
    lifetime = int(current_app.config["SESSION_ABSOLUTE_LIFETIME"].total_seconds())
    pipe = redis_store.pipeline()
    pipe.hset(key, sid, json.dumps(meta))
    pipe.expire(key, lifetime + 3600)
    pipe.execute()


def is_registered(user_id: int, sid: str) -> bool:
    return bool(redis_store.hexists(_index_key(user_id), sid))


def registered_and_get(user_id: int, sid: str, key: str) -> tuple[bool, bytes | None]:
    """Whether ``sid`` is still one of the user's sessions, and the value stored at ``key``, in
    one round trip to Redis (every signed-in request asks both)."""
    pipe = redis_store.pipeline(transaction=False)
    pipe.hexists(_index_key(user_id), sid)
    pipe.get(key)
    registered, value = pipe.execute()
    return bool(registered), value


def unregister(user_id: int, sid: str) -> None:
    redis_store.hdel(_index_key(user_id), sid)


def list_for(user_id: int) -> list[SessionInfo]:
    """Return the user's live sessions, newest first, pruning entries whose session expired."""
    key = _index_key(user_id)
    entries = redis_store.hgetall(key)
    if not entries:
        return []
    sids = [sid.decode() for sid in entries]
    pipe = redis_store.pipeline()
    for sid in sids:
        pipe.ttl(_session_key(sid))
    ttls = pipe.execute()
    idle = int(current_app.config["PERMANENT_SESSION_LIFETIME"].total_seconds())
    now = time.time()
    live: list[SessionInfo] = []
    stale: list[str] = []
    for sid, ttl in zip(sids, ttls, strict=True):
        if ttl is None or ttl < 0:
            stale.append(sid)
            continue
        meta = json.loads(entries[sid.encode()])
        live.append(
            SessionInfo(
                user_id=user_id,
                sid=sid,
                ip=meta.get("ip", ""),
                user_agent=meta.get("ua", ""),
                login_at=datetime.fromtimestamp(meta.get("login_at", 0), UTC),
                last_seen_at=datetime.fromtimestamp(now - (idle - ttl), UTC),
            )
        )
    if stale:
        redis_store.hdel(key, *stale)
    return sorted(live, key=lambda s: s.login_at, reverse=True)


def users_with_sessions() -> list[int]:
    """Return the ids of users who have an index entry (some may have only expired sessions)."""
    ids = []
    for key in redis_store.scan_iter(match=_index_key("*"), count=500):
        ids.append(int(key.decode().rsplit(":", 1)[1]))
    return sorted(ids)


def end(user_id: int, sid: str) -> bool:
    """End one session of ``user_id``; return False when it was not theirs or already gone."""
    key = _index_key(user_id)
    if not redis_store.hexists(key, sid):
        return False
    pipe = redis_store.pipeline()
    pipe.delete(_session_key(sid))
    pipe.hdel(key, sid)
    pipe.execute()
    socketio.end_rooms([session_room(sid)])  # its open pages go to the sign-in page
    return True


def end_all(user_id: int, keep_sid: str | None = None) -> int:
    """End every session of ``user_id`` except ``keep_sid``; return how many were ended."""
    key = _index_key(user_id)
    sids = [sid.decode() for sid in redis_store.hkeys(key)]
    doomed = [sid for sid in sids if sid != keep_sid]
    if not doomed:
        return 0
    pipe = redis_store.pipeline()
    for sid in doomed:
        pipe.delete(_session_key(sid))
    pipe.hdel(key, *doomed)
    pipe.execute()
    socketio.end_rooms(session_room(sid) for sid in doomed)
    return len(doomed)
