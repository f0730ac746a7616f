#!/usr/bin/env bash
# Dump the Chợ 4.0 database to $BACKUP_DIR/cho40-<UTC time>.dump (pg_dump custom format) and
# delete dumps older than $BACKUP_KEEP_DAYS days. Uploaded images live in the database, so this
# one file is the whole state of the platform. Restore: see README "Backups".
set -euo pipefail
: "${DATABASE_URL:?DATABASE_URL is required}"
dir="${BACKUP_DIR:-/var/backups/cho40}"
keep="${BACKUP_KEEP_DAYS:-14}"
mkdir -p "$dir"
# libpq does not know SQLAlchemy's "+psycopg" driver suffix.
url="${DATABASE_URL/postgresql+psycopg:/postgresql:}"
url="${url/postgres:/postgresql:}"
out="$dir/cho40-$(date -u +%Y%m%dT%H%M%SZ).dump"
pg_dump --format=custom --compress=6 --no-owner --file="$out.part" "$url"
mv "$out.part" "$out"   # a dump is complete or absent, never half there
pg_restore --list "$out" >/dev/null   # readable?
find "$dir" -name 'cho40-*.dump' -mtime "+$keep" -delete
echo "$out"
