#!/bin/sh
# run.sh [SECONDS] [OUTDIR] — builds the libFuzzer targets (build.sh) and
# runs each for SECONDS (default 10) from the committed seed corpus, then
# reports executions and crashes per target. Exits 1 on any crash, leak or
# sanitizer report, or when clang/libFuzzer is missing.
#   FUZZ_TARGETS="fuzz_sdp fuzz_routes"  runs only those.
# New inputs go to OUTDIR/corpus/<target> (not the committed corpus);
# crashing inputs to OUTDIR/crashes/: copy them to corpus/<target>/ once fixed.
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
seconds=${1:-10}
out=${2:-"$root/build-fuzz"}
targets=${FUZZ_TARGETS:-"fuzz_signaling fuzz_rest_bodies fuzz_routes fuzz_sdp fuzz_rtcp"}

"$here/build.sh" "$out" || exit 1

# Our own settings, whatever the caller's environment (meson's sanitizer
# options are for the server, not for libFuzzer).
ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:allocator_may_return_null=1"
UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
LSAN_OPTIONS="suppressions=$here/lsan-fuzz.supp:print_suppressions=0"
GST_REGISTRY_FORK="no"
export ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS GST_REGISTRY_FORK

# Without a registry file (a fresh machine: none in ~/.cache yet), gst_init
# scans every plugin in this process (GST_REGISTRY_FORK=no) and each plugin
# library allocates once for the life of the process (fontconfig, libstdc++
# ...); LeakSanitizer's fast unwind stops in those libraries, so the
# gst_init suppression cannot match and the run fails on a leak that is not
# ours. Scan once first, leaks unchecked, into a registry of this run's own;
# the targets then read it and load no plugin.
GST_REGISTRY="$out/gst-registry.bin"
export GST_REGISTRY
for t in $targets; do
  ASAN_OPTIONS="detect_leaks=0" "$out/$t" -runs=0 >/dev/null 2>&1 || true
done

status=0
mkdir -p "$out/crashes"
for t in $targets; do
  work="$out/corpus/$t"
  log="$out/$t.log"
  mkdir -p "$work"
  "$out/$t" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
    -max_len=65536 -artifact_prefix="$out/crashes/$t-" "$work" "$here/corpus/$t" >"$log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  if [ "$rc" -ne 0 ]; then
    status=1
    echo "$t: FAILED (exit $rc) after ${execs:-?} executions; log $log"
    grep -E "^(==[0-9]+==ERROR|SUMMARY|.*runtime error|.*CRITICAL|.*ERROR:)" "$log" | head -n 5
    ls "$out/crashes/$t-"* 2>/dev/null | sed 's/^/  input: /'
  else
    echo "$t: ${execs:-?} executions in ${seconds}s, no crash"
  fi
done
exit $status
