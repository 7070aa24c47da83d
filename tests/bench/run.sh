#!/bin/sh
# The benchmark: telehealthd against Janus 1.1.2 (VideoRoom), same load, same
# machine, same run. Needs root (network namespace, apt). Not part of the tests.
#
#   sudo ./tests/bench/run.sh
#
# Knobs (environment):
#   BENCH_N="1 5 10 25 50 100"  visit counts, one row each (stops a server early at > BENCH_LOSS_STOP % loss)
#   BENCH_DURATION=30           seconds of media per row, after the ramp-up
#   BENCH_RAMP_UP=              seconds over which visits start (default: N/10, between 1 and 10)
#   BENCH_BITRATE=1000          kbit/s of each VP8 sender
#   BENCH_SERVERS="ours janus"  which servers to run: ours (our default media engine),
#                               webrtcbin or lean (ours with [media] engine set), janus
#   BENCH_DIRECT=each           reference run without a server: each (every N) | once (first N) | none
#   BENCH_LOSS_STOP=5           loss % above which a server is not tried at larger N
#   BENCH_SETTLE=3              seconds after the ramp-up before the CPU window opens
#   BENCH_BUILDDIR=build-bench  build directory (release build)
#   BENCH_OUT=tests/bench/results  where the CSV, the PNG and the raw files go
#   BENCH_EXTRA_ARGS=           more th-load arguments, e.g. "--decode"
#   BENCH_PERF=                 seconds of `perf record` (cpu-clock, call graphs) on each
#                               server in its steady window; reports by thread and function
#                               go to the raw folder (perf-threads.txt, perf-symbols.txt)
#   BENCH_BROWSER=              1: the browser-quality row (a Chromium sender and receiver
#                               through each server); default 1 when node, /usr/bin/chromium
#                               and tests/node_modules/playwright-core are there
#   BENCH_BROWSER_SECONDS=20    seconds before the browser figures are read
#   BENCH_BROWSER_RUNS=3        browser runs per server (servers take turns); medians reported
set -eu
cd "$(dirname "$0")/../.."
TOP=$(pwd)

if [ "$(id -u)" -ne 0 ]; then
  echo "run.sh: needs root (network namespace, package installs): sudo $0" >&2
  exit 1
fi

# What building and running need, then what only the bench needs.
./scripts/install-deps.sh
missing=""
perf_pkg=""
[ -n "${BENCH_PERF:-}" ] && perf_pkg=linux-perf
for p in janus gnuplot-nox python3 iproute2 util-linux $perf_pkg; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "Installing:$missing"
  apt-get update -qq
  # The janus package enables a system service with its stock config; the
  # bench never uses it (it starts its own Janus inside its namespace).
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
fi
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet janus 2>/dev/null; then
  echo "note: the system janus.service is running (started by the package); it competes for CPU." >&2
  echo "      'systemctl disable --now janus' stops it; the bench runs its own Janus." >&2
fi

BUILDDIR=${BENCH_BUILDDIR:-build-bench}
[ -f "$BUILDDIR/build.ninja" ] || meson setup "$BUILDDIR" --buildtype=release
ninja -C "$BUILDDIR" server/telehealthd tests/load/th-load

export TELEHEALTHD="$TOP/$BUILDDIR/server/telehealthd"
export TH_LOAD="$TOP/$BUILDDIR/tests/load/th-load"
case "$BUILDDIR" in /*) TELEHEALTHD="$BUILDDIR/server/telehealthd"; TH_LOAD="$BUILDDIR/tests/load/th-load" ;; esac
export TH_CONFIG="$TOP/config/telehealth.conf"
export JANUS_DIR="$TOP/tests/bench/janus"
if [ -z "${BENCH_BROWSER:-}" ]; then
  BENCH_BROWSER=0
  if command -v node >/dev/null 2>&1 && [ -x /usr/bin/chromium ] && [ -d tests/node_modules/playwright-core ]; then
    BENCH_BROWSER=1
  fi
fi
export BENCH_BROWSER

# The load generator's clients are webrtcbins, whose sockets keep the
# kernel's default receive buffer (net.core.rmem_default, ~200 KB): bursts
# of keyframes to many clients at once overflow it, and the "loss" that
# follows is the load generator's. The run raises the default to 4 MiB (for
# every process: both servers get the same) and puts it back at the end.
old_rmem=$(sysctl -n net.core.rmem_default)
trap 'sysctl -q -w net.core.rmem_default="$old_rmem"' EXIT
sysctl -q -w net.core.rmem_default=4194304

# One fresh network namespace for the whole run: lo, plus a veth pair whose
# two ends both stay inside, one holding 127.0.0.1/32. Janus 1.1.2 skips
# loopback interfaces when it gathers ICE candidates; with the veth end it
# offers a 127.0.0.1 host candidate, and packets to it still go over lo.
# --kill-child: if unshare dies, the bench (and, through PDEATHSIG, every
# server and load generator it started) dies with it.
unshare --net --fork --kill-child -- sh -c '
  set -e
  ip link set lo up
  ip link add thb0 type veth peer name thb1
  ip addr add 127.0.0.1/32 dev thb0
  ip link set thb0 up
  ip link set thb1 up
  exec python3 "$0"' "$TOP/tests/bench/bench.py"
