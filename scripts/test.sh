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
python3 - "$BUILD/meson-logs/testlog.json" <<'PY'
import json, sys
passed = failed = skipped = 0
with open(sys.argv[1]) as f:
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
