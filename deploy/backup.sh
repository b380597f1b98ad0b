#!/usr/bin/env bash
# One backup with `flask backup` (SQLite copy or pg_dump archive), then retention: copies older
# than BACKUP_KEEP_DAYS are removed, but the newest BACKUP_KEEP_MIN are always kept.
# `flask backup` also notes the time in the instance folder, so /healthz reports an overdue backup,
# and writes FILE.json beside each copy (its SHA-256, schema version, audit chain head): kept and
# removed together with it. `flask restore FILE` checks the copy against it.
set -euo pipefail
dir=${BACKUP_DIR:-/var/backups/guidance}
keep_days=${BACKUP_KEEP_DAYS:-30}
keep_min=${BACKUP_KEEP_MIN:-7}
home=${GUIDANCE_HOME:-$(cd "$(dirname "$0")/.." && pwd)}
read -ra flask <<< "${FLASK:-$home/.venv/bin/flask}"
case "${DATABASE_URL:-}" in
  postgres*) ext=dump ;;
  *) ext=sqlite ;;
esac
mkdir -p "$dir"
target="$dir/guidance-$(date +%Y%m%d-%H%M%S).$ext"
cd "$home"
"${flask[@]}" --app webapp backup "$target"
shopt -s nullglob
copies=("$dir"/guidance-*.sqlite "$dir"/guidance-*.dump)
ls -1t -- "${copies[@]}" | tail -n +"$((keep_min + 1))" |
  while IFS= read -r old; do
    if [ -n "$(find "$old" -maxdepth 0 -mtime +"$keep_days")" ]; then
      rm -f -- "$old" "$old.json" && echo "removed $old (older than $keep_days days)"
    fi
  done
