#!/usr/bin/env bash
# The job "worker" of a rehearsal: the periodic commands that the systemd timers run in
# production (deploy/systemd/cho40-job@*.timer). Chợ 4.0 has no job queue yet; when it gets
# one, its worker replaces this loop. Runs until killed; a failing command is logged, not fatal.
set -uo pipefail
flask="${FLASK:-.venv/bin/flask} --app wsgi"
flush_every="${SCANS_FLUSH_SECONDS:-60}"
expire_every="${ORDERS_EXPIRE_SECONDS:-300}"
stop=0
trap 'stop=1' TERM INT
last_expire=0
while [ "$stop" = 0 ]; do
  now=$(date +%s)
  $flask scans flush || echo "worker-loop: scans flush failed" >&2
  if [ $((now - last_expire)) -ge "$expire_every" ]; then
    $flask orders expire || echo "worker-loop: orders expire failed" >&2
    last_expire=$now
  fi
  # sleep in the background so a TERM ends the loop at once
  sleep "$flush_every" & wait $! 2>/dev/null
done
