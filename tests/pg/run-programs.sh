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

# First the cluster and its database (run-with-cluster.sh: it stops the
# cluster and removes its directory whatever happens, and exits 77 when there
# is no PostgreSQL server); then this script again inside it
# (TH_PG_PROGRAMS=1), which runs the programs. Their logs go in the
# cluster's directory, removed with it.
if [ "${TH_PG_PROGRAMS:-}" != 1 ]; then
  exec env TH_PG_PROGRAMS=1 "$here/run-with-cluster.sh" "$0" "$@"
fi

logs=$TH_PG_DIR
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
