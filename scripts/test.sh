#!/bin/sh
# Installs what is missing, builds warning-free, and runs every test suite
# (unit, integration, e2e), then the integration suite once more on
# PostgreSQL. Ends with one line for both: "N passed, N failed, N skipped".
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh --test
BUILD=${TH_TEST_BUILD:-build-test}
# -Dtest_clock=true: tests set the server's clock (TELEHEALTHD_TEST_NOW); a
# build dir made before the option existed is switched on too.
if [ -d "$BUILD" ]; then
  # --reconfigure also reads options added to meson_options.txt since.
  meson setup --reconfigure "$BUILD" -Dtest_clock=true >/dev/null
else
  meson setup "$BUILD" --buildtype=debugoptimized --werror -Dtest_clock=true
fi
ninja -C "$BUILD"

# The integration suite runs twice (issue 18): on sqlite in the first pass
# (with every other suite), then on PostgreSQL 15. TH_TEST_POSTGRESQL=0 runs
# the first pass alone; TH_TEST_POSTGRESQL=only the PostgreSQL pass alone,
# with the arguments (e.g. a test's name) given to it instead.
pg_pass=${TH_TEST_POSTGRESQL:-1}
case "$pg_pass" in
0 | 1 | only) ;;
*)
  echo "test.sh: TH_TEST_POSTGRESQL is 1 (both passes, the default), 0 (sqlite only) or only" >&2
  exit 2
  ;;
esac

status=0
logs=""
if [ "$pg_pass" != only ]; then
  set +e
  meson test -C "$BUILD" --print-errorlogs --num-processes 2 "$@"
  status=$?
  set -e
  logs="$BUILD/meson-logs/testlog.json"
  # The PostgreSQL pass keeps to the integration suite, whatever was asked here.
  set --
fi

# The PostgreSQL pass: one cluster of the run's own in a temporary folder
# (tests/pg/pg-cluster.sh: a Unix socket only, stopped at the end whatever
# happens), a fresh database per test (tests/pg/with-pg.sh sets
# TELEHEALTHD_DSN). Not the tests that never reach the server's store (suite
# store-free: the media relays, the transport alone, the FHIR export of a
# sqlite file of its own), nor those that start a PostgreSQL of their own
# and so run on it in the first pass already (suite pg-own).
no_cluster=0
if [ "$pg_pass" != 0 ]; then
  pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/th-pg.XXXXXX")
  # shellcheck disable=SC2064 # the folder is known now
  trap "tests/pg/pg-cluster.sh stop '$pg_dir' || true; rm -rf '$pg_dir'" EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  # meson names the log after the base and the wrapper:
  # testlog-pg-with-pg.sh.json.
  pg_log="$BUILD/meson-logs/testlog-pg-with-pg.sh.json"
  rm -f "$pg_log"
  pg_started=$(date +%s)
  set +e
  if tests/pg/pg-cluster.sh start "$pg_dir"; then
    TH_PG_DIR=$pg_dir meson test -C "$BUILD" --print-errorlogs --num-processes 2 \
      --suite integration --no-suite store-free --no-suite pg-own \
      --wrapper "$PWD/tests/pg/with-pg.sh" --logbase testlog-pg "$@"
    pg_status=$?
  else
    echo "test.sh: the PostgreSQL test cluster did not start" >&2
    pg_status=1
    no_cluster=1
  fi
  set -e
  echo "test.sh: the PostgreSQL pass took $(($(date +%s) - pg_started)) s"
  [ "$pg_status" -eq 0 ] || status=$pg_status
  logs="$logs $pg_log"
fi

# One line for both runs (a log that is missing counts nothing; a cluster
# that did not start counts as one failure).
# shellcheck disable=SC2086 # one path per word
TH_NO_CLUSTER=$no_cluster python3 - $logs <<'PY'
import json, os, sys
passed = skipped = 0
failed = int(os.environ.get("TH_NO_CLUSTER", "0"))
for path in sys.argv[1:]:
    if not os.path.exists(path):
        continue
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            r = json.loads(line)["result"]
            if r in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif r == "SKIP":
                skipped += 1
            else:
                failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
exit $status
