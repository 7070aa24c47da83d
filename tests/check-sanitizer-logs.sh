#!/bin/sh
# check-sanitizer-logs.sh PREFIX — fails when ASan/LSan/UBSan wrote any
# report to PREFIX.<pid> during the test run (a spawned telehealthd's report
# would otherwise go unseen), printing each and moving it aside to
# PREFIX-seen/ so the next run starts clean.
prefix=$1
found=0
for f in "$prefix".*; do
  [ -e "$f" ] || continue
  found=1
  echo "==== sanitizer report $f"
  cat "$f"
  mkdir -p "$prefix-seen"
  mv "$f" "$prefix-seen/"
done
if [ "$found" -eq 1 ]; then
  echo "sanitizer reports found (kept in $prefix-seen/)" >&2
  exit 1
fi
echo "no sanitizer report"
