#!/usr/bin/env bash
# Rehearse the production set on one machine, as root or not, without touching system files:
# PostgreSQL database (created, migrated, demo data), Redis, two gunicorn instances on loopback,
# the job worker and cron (`flask jobs worker`, `flask jobs cron`) and nginx in front, all state
# under $REHEARSAL_DIR.
#
#   deploy/rehearse.sh start     # prints the URL (http://127.0.0.1:8080)
#   deploy/rehearse.sh status
#   deploy/rehearse.sh stop      # stops everything it started; add --drop to drop the database
#
# Settings (environment): REHEARSAL_DIR (/tmp/cho40-rehearsal), NGINX_PORT (8080),
# APP_PORTS ("8001 8002"), GUNICORN_WORKERS (2), PG_ADMIN_URL
# (postgresql://postgres@127.0.0.1:5432/postgres), REHEARSAL_DB (cho40_rehearsal),
# REDIS_URL (redis://127.0.0.1:6379/14; a private redis-server is started if none answers).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DIR="${REHEARSAL_DIR:-/tmp/cho40-rehearsal}"
NGINX_PORT="${NGINX_PORT:-8080}"
APP_PORTS="${APP_PORTS:-8001 8002}"
PG_ADMIN_URL="${PG_ADMIN_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
DB="${REHEARSAL_DB:-cho40_rehearsal}"
VENV="${VENV:-$ROOT/.venv}"
NGINX="${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}"

log() { printf '== %s\n' "$*"; }
pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

app_env() {
  export DATABASE_URL="${PG_ADMIN_URL%/*}/$DB"
  export SECRET_KEY="${SECRET_KEY:-rehearsal-$(cat "$DIR/secret" 2>/dev/null || echo x)}"
  export REDIS_URL PUBLIC_BASE_URL="http://127.0.0.1:$NGINX_PORT"
  export PROXY_FIX_X_FOR=1 PROXY_FIX_X_PROTO=1 PROXY_FIX_X_HOST=1 PROXY_FIX_X_PORT=1
  export GUNICORN_WORKERS="${GUNICORN_WORKERS:-2}" FLASK="$VENV/bin/flask" JOBS_MODE=rq
  export JOBS_QUEUE="${JOBS_QUEUE:-cho40-rehearsal}"
}

start() {
  mkdir -p "$DIR"
  [ -f "$DIR/secret" ] || python3 -c 'import secrets; print(secrets.token_hex(16))' > "$DIR/secret"
  REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/14}"
  if ! "$VENV/bin/python" -c "import redis,sys; redis.Redis.from_url(sys.argv[1]).ping()" \
      "$REDIS_URL" 2>/dev/null; then
    log "Redis: none at $REDIS_URL, starting a private one on 127.0.0.1:16379"
    redis-server --daemonize yes --bind 127.0.0.1 --port 16379 --save "" --appendonly no \
      --pidfile "$DIR/redis.pid" --logfile "$DIR/redis.log"
    REDIS_URL=redis://127.0.0.1:16379/0
  fi
  echo "$REDIS_URL" > "$DIR/redis_url"
  app_env

  log "PostgreSQL: database $DB"
  if ! psql "$PG_ADMIN_URL" -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1; then
    psql "$PG_ADMIN_URL" -qc "CREATE DATABASE \"$DB\""
  fi
  log "Migrations"
  "$FLASK" --app wsgi db upgrade
  log "Demo data"
  "$FLASK" --app wsgi seed-demo >"$DIR/seed-demo.txt"

  local upstreams=()
  for port in $APP_PORTS; do
    log "gunicorn on 127.0.0.1:$port"
    GUNICORN_BIND="127.0.0.1:$port" "$VENV/bin/gunicorn" -c deploy/gunicorn.conf.py \
      --daemon --pid "$DIR/gunicorn-$port.pid" --error-logfile "$DIR/gunicorn-$port.log" wsgi:app
    upstreams+=(--app "127.0.0.1:$port")
  done

  log "Job worker and cron (RQ on $REDIS_URL)"
  nohup "$FLASK" --app wsgi jobs worker >"$DIR/worker.log" 2>&1 &
  echo $! > "$DIR/worker.pid"
  nohup "$FLASK" --app wsgi jobs cron >"$DIR/cron.log" 2>&1 &
  echo $! > "$DIR/cron.pid"

  log "nginx on 127.0.0.1:$NGINX_PORT"
  "$VENV/bin/python" deploy/render_nginx.py --main "$DIR/nginx" --listen "127.0.0.1:$NGINX_PORT" \
    "${upstreams[@]}" >/dev/null
  "$NGINX" -q -t -p "$DIR/nginx" -e "$DIR/nginx/error.log" -c "$DIR/nginx/nginx.conf"
  "$NGINX" -p "$DIR/nginx" -e "$DIR/nginx/error.log" -c "$DIR/nginx/nginx.conf"

  for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$NGINX_PORT/healthz" >/dev/null 2>&1 && break
    sleep 0.2
  done
  curl -fsS "http://127.0.0.1:$NGINX_PORT/healthz"; echo
  log "Up: http://127.0.0.1:$NGINX_PORT (demo logins in $DIR/seed-demo.txt)"
}

stop() {
  if pid_alive "$DIR/nginx/nginx.pid"; then
    log "nginx"
    "$NGINX" -p "$DIR/nginx" -e "$DIR/nginx/error.log" -c "$DIR/nginx/nginx.conf" -s quit
  fi
  for job in cron worker; do
    if pid_alive "$DIR/$job.pid"; then
      log "job $job"
      kill -TERM "$(cat "$DIR/$job.pid")"   # RQ: finish the job in hand, then stop
    fi
  done
  for pidfile in "$DIR"/gunicorn-*.pid; do
    if pid_alive "$pidfile"; then
      log "gunicorn $(basename "$pidfile" .pid)"
      kill -TERM "$(cat "$pidfile")"   # graceful: workers flush buffered scans
    fi
  done
  for _ in $(seq 1 100); do
    alive=0
    for pidfile in "$DIR"/gunicorn-*.pid "$DIR/nginx/nginx.pid" "$DIR/worker.pid" "$DIR/cron.pid"; do
      pid_alive "$pidfile" && alive=1
    done
    [ "$alive" = 0 ] && break
    sleep 0.2
  done
  if pid_alive "$DIR/redis.pid"; then
    log "private redis"
    kill "$(cat "$DIR/redis.pid")"
  fi
  if [ "${1:-}" = "--drop" ]; then
    log "dropping database $DB"
    psql "$PG_ADMIN_URL" -qc "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)"
  fi
}

status() {
  for pidfile in "$DIR"/gunicorn-*.pid "$DIR/worker.pid" "$DIR/cron.pid" "$DIR/nginx/nginx.pid" \
      "$DIR/redis.pid"; do
    [ -f "$pidfile" ] || continue
    if pid_alive "$pidfile"; then echo "up   $pidfile"; else echo "down $pidfile"; fi
  done
  curl -fsS "http://127.0.0.1:$NGINX_PORT/healthz" && echo
}

case "${1:-}" in
  start) start ;;
  stop) shift; stop "$@" ;;
  status) status ;;
  *) echo "usage: $0 start|status|stop [--drop]" >&2; exit 2 ;;
esac
