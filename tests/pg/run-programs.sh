#!/bin/sh
# Runs several test programs against one PostgreSQL of their own (issue 18):
#   run-programs.sh PROG...
# The store's unit tests run on PostgreSQL when with-pg.sh named a test
# cluster's database (tests/unit/store-fixture.h). Starting a test cluster
# (pg-cluster.sh) costs about 2 s, and setting up the store's schema half a
# second, so the programs named here share one cluster and one database
# (with-pg.sh), one after the other: each case starts on an emptied schema
# anyway. Prints one line per program (its cases passed and skipped), and
# the whole output of a program that failed. Exits 1 when any failed, 77
# (skipped) when there is no PostgreSQL server to start, 0 otherwise. One
# program alone:
#   tests/pg/run-with-cluster.sh build-test/tests/test_store
set -eu
here=$(cd "$(dirname "$0")" && pwd)

# First the cluster and its database; then this script again inside
# with-pg.sh (TH_PG_PROGRAMS=1), which runs the programs.
if [ "${TH_PG_PROGRAMS:-}" != 1 ]; then
  # Under /tmp (or TMPDIR), not the build tree: the cluster's user
  # (postgres, when we are root) must be able to reach it.
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
  if [ "$status" -eq 0 ]; then
    TH_PG_PROGRAMS=1 TH_PG_DIR=$dir TH_PG_LOGS=$dir "$here/with-pg.sh" "$0" "$@"
    status=$?
  fi
  set -e
  exit "$status"
fi

logs=$TH_PG_LOGS
failed=0
for prog in "$@"; do
  name=$(basename "$prog")
  log="$logs/$name.log"
  start=$(date +%s%N)
  set +e
  "$prog" >"$log" 2>&1
  status=$?
  set -e
  ms=$((($(date +%s%N) - start) / 1000000))
  skipped=$(grep -c '^ok .* # SKIP' "$log" || true)
  passed=$(($(grep -c '^ok ' "$log" || true) - skipped))
  if [ "$status" -eq 0 ]; then
    echo "$name on PostgreSQL: $passed passed, $skipped skipped ($ms ms)"
  else
    failed=$((failed + 1))
    echo "$name on PostgreSQL: FAILED (exit $status, $ms ms); its output:"
    sed 's/^/  | /' "$log"
  fi
done
[ "$failed" -eq 0 ] || {
  echo "run-programs: $failed of $# programs failed on PostgreSQL" >&2
  exit 1
}
