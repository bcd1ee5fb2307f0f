# Sourced by .ci/run: a throw-away PostgreSQL server for the shared-study tests, from the
# distribution's packages (installed with apt-get when missing), listening on localhost only,
# with its data in a temporary folder; `stop_postgres` stops it and removes the folder.
# Exports WORKBENCH_TEST_POSTGRES_URL; without a server the tests that need one are skipped and say why.

start_postgres() {
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing PostgreSQL (apt-get install postgresql)…"
    (apt-get install -y -q postgresql >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q postgresql >/dev/null; }) \
      || echo "PostgreSQL could not be installed: the shared-study tests will be skipped." >&2
  fi
  PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
  if [ -z "$PG_BIN" ]; then
    echo "No PostgreSQL server: the shared-study tests will be skipped." >&2
    return 0
  fi
  PG_DIR="$(mktemp -d)"
  local as=()
  if [ "$(id -u)" = 0 ]; then  # the server refuses to run as root
    chown postgres "$PG_DIR"
    as=(runuser -u postgres --)
  fi
  PG_PORT=$(( 20000 + RANDOM % 20000 ))
  "${as[@]}" "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust -U postgres >/dev/null
  "${as[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w \
    -o "-c listen_addresses=localhost -p $PG_PORT -k $PG_DIR -c fsync=off" start >/dev/null
  "${as[@]}" "$PG_BIN/createdb" -h localhost -p "$PG_PORT" -U postgres workbench_test
  export WORKBENCH_TEST_POSTGRES_URL="postgresql://postgres@localhost:$PG_PORT/workbench_test"
  PG_AS=("${as[@]}")
  echo "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on localhost:$PG_PORT for the shared-study tests."
}

stop_postgres() {
  if [ -n "${PG_DIR:-}" ]; then
    "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
  fi
}
