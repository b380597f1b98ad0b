#!/usr/bin/env bash
# A throwaway PostgreSQL server on loopback for the test suite.
#   scripts/pg-test-server.sh start DIR PORT   → prints the DATABASE_URL (the owner: migrations, fixtures)
#   scripts/pg-test-server.sh stop DIR
# It also creates the login role guidance_app, without privileges: tests/webapp/test_pg_roles.py
# grants it the app's (flask db-roles) and connects as it (TEST_APP_DATABASE_URL, or the URL
# above with the user guidance_app).
# PostgreSQL refuses to run as root, so as root the server runs as the postgres user.
set -euo pipefail
cmd=$1; dir=$2
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bin" ] || { echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }
as_owner() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case "$cmd" in
  start)
    port=$3
    rm -rf "$dir"; mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir"
    as_owner "$bin/initdb" -D "$dir/data" -A trust -U app -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100" start >/dev/null \
      || { cat "$dir/server.log" >&2; exit 1; }
    as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U app guidance_test
    as_owner "$bin/psql" -q -h 127.0.0.1 -p "$port" -U app -d guidance_test -c "CREATE ROLE guidance_app LOGIN" >/dev/null
    echo "postgresql+psycopg://app@127.0.0.1:$port/guidance_test"
    ;;
  stop)
    [ -d "$dir/data" ] && as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
  *) echo "usage: $0 start DIR PORT | stop DIR" >&2; exit 2 ;;
esac
