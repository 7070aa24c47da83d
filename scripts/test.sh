#!/bin/sh
# Installs what is missing, builds warning-free, and runs every test suite
# (unit, integration, e2e). Ends with one line: "N passed, N failed, N skipped".
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
set +e
meson test -C "$BUILD" --print-errorlogs --num-processes 2 "$@"
status=$?
set -e
logs="$BUILD/meson-logs/testlog.json"

# The integration suite once more on PostgreSQL 15 (issue 18): one cluster
# of the run's own in a temporary folder (tests/pg/pg-cluster.sh: a Unix
# socket only, stopped at the end whatever happens), a fresh database per
# test (tests/pg/with-pg.sh sets TELEHEALTHD_DSN). Off until the store's
# PostgreSQL backend passes it: TH_TEST_POSTGRESQL=1 turns it on.
no_cluster=0
if [ "${TH_TEST_POSTGRESQL:-0}" = 1 ]; then
  pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/th-pg.XXXXXX")
  # shellcheck disable=SC2064 # the folder is known now
  trap "tests/pg/pg-cluster.sh stop '$pg_dir' || true; rm -rf '$pg_dir'" EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  # meson names the log after the base and the wrapper:
  # testlog-pg-with-pg.sh.json.
  pg_log="$BUILD/meson-logs/testlog-pg-with-pg.sh.json"
  rm -f "$pg_log"
  set +e
  if tests/pg/pg-cluster.sh start "$pg_dir"; then
    TH_PG_DIR=$pg_dir meson test -C "$BUILD" --print-errorlogs --num-processes 2 \
      --suite integration --wrapper "$PWD/tests/pg/with-pg.sh" --logbase testlog-pg
    pg_status=$?
  else
    echo "test.sh: the PostgreSQL test cluster did not start" >&2
    pg_status=1
    no_cluster=1
  fi
  set -e
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
