# shellcheck shell=bash
# Our ERP console as a target of the peer harness (../shared/peer-bench), same wrk settings, same
# data (the peer seed, product ids kept), same checks. From the project root:
#
#   EXTRA_TARGETS_DIR=$PWD/bench/targets ../shared/peer-bench/run_peers.sh hello fab flask_admin ours
#
# Served exactly like the peers: gunicorn $GUNICORN_OPTS (2 workers x 4 threads), but from the
# project's own venv (.venv), with 'app:create_app()'. SQLite file per run; sessions, rate limits and
# permission caches in the machine's Redis (127.0.0.1:6379) under a key prefix of this target's own
# (keys of an earlier run under that prefix are deleted first). ERP_ENV=development, so no HTTPS-only
# cookie; the instance directory is a scratch directory of the run.
#
# target_prepare: `flask db upgrade` (to "heads", in case two migrations are being added at once),
# bench/load_peer_seed.py (products keep their seed ids; duplicate brand + model made unique with a
# -D<n> suffix, except on the rows this file checks; customers too once our schema has them), then
# `flask create-admin` with flags.

TARGET_DESC="our ERP console (Flask, server-side sessions in Redis, SQLite + FTS5)"
# Project root; OURS_ROOT=/path/to/a/copy measures a frozen copy of the tree instead (others keep
# editing the working tree, and a migration added mid-run breaks the later export servers).
TARGET_DIR=${OURS_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
TARGET_DB="$RUN_DIR/ours.sqlite"
OURS_REDIS_URL=${OURS_REDIS_URL:-redis://127.0.0.1:6379/0}
OURS_PREFIX=${OURS_PREFIX:-peerbench-ours:}
TARGET_ENV=(
  DATABASE_URL="sqlite:///$TARGET_DB"
  REDIS_URL="$OURS_REDIS_URL"
  REDIS_KEY_PREFIX="$OURS_PREFIX"
  SECRET_KEY="bench-ours-$$-$RANDOM$RANDOM"
  ERP_ENV=development
  ERP_INSTANCE_DIR="$RUN_DIR/ours-instance"
  FLASK_APP="app:create_app"
  OURS_VENV="$TARGET_DIR/.venv"
)
# Same flags as the peers; only the venv differs (the peers' venv does not hold our dependencies).
TARGET_CMD='exec "$OURS_VENV/bin/gunicorn" $GUNICORN_OPTS -b "127.0.0.1:$PORT" "app:create_app()"'
TARGET_READY_PATH=/login
LOGIN_PATH=/login
LOGIN_ARGS=(--field username=admin --field "password=$BENCH_ADMIN_PW"
            --csrf-field csrf_token
            --check-path /products/)

target_prepare() {
  local log="$RUN_DIR/ours-prepare.log" keep py="$TARGET_DIR/.venv/bin/python"
  [ -x "$py" ] || { log "ours: $py missing (make setup in $TARGET_DIR)"; return 1; }
  rm -f "$TARGET_DB" "$TARGET_DB-wal" "$TARGET_DB-shm"
  mkdir -p "$RUN_DIR/ours-instance"
  # The rows the checks below look at keep their seed model verbatim (see bench/load_peer_seed.py).
  keep="$(seed_expect --expect-page 0 | cut -f1),$(seed_expect --expect-page 2499 | cut -f1),$(seed_expect --expect-search 6204 | cut -f2),$SHOW_ID"
  (
    cd "$TARGET_DIR" || exit 1
    set -e
    env "${TARGET_ENV[@]}" timeout 30 "$py" -c '
import os, redis
r = redis.Redis.from_url(os.environ["REDIS_URL"])
r.ping()
stale = list(r.scan_iter(match=os.environ["REDIS_KEY_PREFIX"] + "*", count=1000))
if stale:
    r.delete(*stale)
print(f"redis ok; {len(stale)} stale keys of an earlier run removed")'
    env "${TARGET_ENV[@]}" timeout 300 "$py" -m flask db upgrade heads
    env "${TARGET_ENV[@]}" timeout 900 "$py" bench/load_peer_seed.py --seed-db "$SEED_DB" \
        --database-url "sqlite:///$TARGET_DB" --keep-plain "$keep"
    env "${TARGET_ENV[@]}" timeout 120 "$py" -m flask create-admin --username admin \
        --display-name "Bench Admin" --email "" --password "$BENCH_ADMIN_PW"
  ) >>"$log" 2>&1
  grep -E "^(products|customers|redis)" "$log" | while read -r line; do log "ours: $line"; done
  grep -q "Administrator admin created" "$log"
}

target_endpoints() {
  local p0 pd sr sh
  p0=$(seed_expect --expect-page 0); pd=$(seed_expect --expect-page 2499)
  sr=$(seed_expect --expect-search 6204); sh=$(seed_expect --expect-id "$SHOW_ID")
  # Our pages are 1-based (page 2,500 = OFFSET 49,980 = the peers' 0-based page 2499); the list is
  # ordered by id descending like the peers'. The search count is the admin's language (zh):
  # "第 1–20 行，共 246 行".
  ENDPOINTS=(
    "list_p1|/products/|$(cut -f2 <<<"$p0")|href=\"/products/$(cut -f1 <<<"$p0")\""
    "list_p2500|/products/?page=2500|$(cut -f2 <<<"$pd")|href=\"/products/$(cut -f1 <<<"$pd")\""
    "search_6204|/products/?q=6204|$(cut -f3 <<<"$sr")|href=\"/products/$(cut -f2 <<<"$sr")\"|共 $(cut -f1 <<<"$sr") 行"
    "show|/products/$SHOW_ID|$(cut -f2 <<<"$sh")|$(cut -f3 <<<"$sh")"
    "edit|/products/$SHOW_ID/edit|value=\"$(cut -f2 <<<"$sh")\""
  )
  EXPORTS=(
    "export_xlsx|/products/export.xlsx|xlsx:$((PRODUCTS + 1))"
    "export_csv|/products/export.csv|csv:$((PRODUCTS + 1))"
  )
}
