#!/bin/sh
# Runs one command against a PostgreSQL of its own: starts a test cluster in
# a fresh temporary directory (tests/pg/pg-cluster.sh), runs the command
# through tests/pg/with-pg.sh (a fresh database, TELEHEALTHD_DSN), stops the
# cluster and removes the directory, whatever the command did. For a test
# that needs PostgreSQL in every run, not only in the PostgreSQL pass of
# scripts/test.sh, which shares one cluster; run-programs.sh runs its
# programs through it too.
set -eu
here=$(cd "$(dirname "$0")" && pwd)

# Under /tmp (or TMPDIR), not the build tree: the cluster's user (postgres,
# when we are root) must be able to reach it.
dir=$(mktemp -d "${TMPDIR:-/tmp}/th-pg.XXXXXX")
cleanup() {
  "$here/pg-cluster.sh" stop "$dir" || true
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

set +e
"$here/pg-cluster.sh" start "$dir"
status=$?
set -e
# 77: no PostgreSQL server on this machine; the test is skipped, not failed.
[ "$status" -eq 0 ] || exit "$status"

set +e
TH_PG_DIR=$dir "$here/with-pg.sh" "$@"
status=$?
set -e
exit "$status"
