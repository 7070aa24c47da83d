#!/bin/sh
# Runs one test against a fresh database of the test cluster (issue 18):
#   TH_PG_DIR=DIR with-pg.sh CMD ARGS...
# DIR is a cluster tests/pg/pg-cluster.sh started. Creates a database with a
# name of its own, exports TELEHEALTHD_DSN naming it (the socket in DIR, no
# TCP), runs CMD, drops the database and exits with CMD's status (77, a
# skip, stays 77). Used as `meson test --wrapper`, so every test of a run
# has a database of its own and tests may run in parallel. Databases the
# test made beside it, named <db>_<something>, are dropped with it.
set -eu

if [ -z "${TH_PG_DIR:-}" ]; then
  echo "with-pg: TH_PG_DIR names no test cluster (tests/pg/pg-cluster.sh start DIR)" >&2
  exit 77
fi
[ $# -ge 1 ] || {
  echo "usage: TH_PG_DIR=DIR $0 CMD ARGS..." >&2
  exit 2
}
bin=${PG_BIN:-/usr/lib/postgresql/15/bin}

# Unique per run and per test: the pid, and random bytes for pids reused.
db="th_$$_$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"
"$bin/createdb" -h "$TH_PG_DIR" -U postgres "$db"

drop() {
  # --force: a server the test left running may still hold a connection.
  # The databases a test made beside its own (<db>_<name>, tests/e2e/lib.mjs
  # createDatabase) go with it, should the test not have dropped them.
  for extra in $("$bin/psql" -X -A -t -h "$TH_PG_DIR" -U postgres -d "$db" \
      -c "SELECT datname FROM pg_database WHERE starts_with(datname, '${db}_')" 2>/dev/null); do
    "$bin/dropdb" -h "$TH_PG_DIR" -U postgres --force --if-exists "$extra" || true
  done
  "$bin/dropdb" -h "$TH_PG_DIR" -U postgres --force --if-exists "$db" || true
}
trap 'drop; exit 130' INT
trap 'drop; exit 143' TERM

TELEHEALTHD_DSN="host=$TH_PG_DIR dbname=$db user=postgres"
export TELEHEALTHD_DSN
set +e
"$@"
status=$?
set -e
drop
exit "$status"
