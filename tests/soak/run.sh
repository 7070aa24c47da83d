#!/bin/sh
# The soak (issue 6): th-load runs SOAK_VISITS visits for SOAK_DURATION seconds
# against telehealthd while every client drops its connection (WebSocket
# closed without `leave`, peer connection gone) about once a minute and comes
# back; the server's RSS and open file descriptors are sampled every 10 s.
# Needs root (a fresh loopback-only network namespace). Not part of the tests.
#
#   sudo ./tests/soak/run.sh                                   # 20 visits x 600 s
#   sudo env SOAK_VISITS=4 SOAK_DURATION=120 ./tests/soak/run.sh   # a short run
#
# Knobs (environment):
#   SOAK_VISITS=20           concurrent 1:1 visits
#   SOAK_DURATION=600        seconds of media after the ramp-up
#   SOAK_DROP_EVERY=60       each client drops once per this many seconds (staggered)
#   SOAK_BITRATE=1000        kbit/s of each VP8 sender
#   SOAK_INTERVAL=10         seconds between samples
#   SOAK_WARMUP=60           seconds of samples left out of the verdict
#   SOAK_BUILDDIR=build-soak build directory (release build)
#   SOAK_OUT=tests/soak/results  where the CSV and the summary go (raw files in *-raw/)
#   SOAK_EXTRA_ARGS=         more th-load arguments
#
# Verdict: the samples after the warm-up are cut in thirds; the mean of the
# last third against the mean of the middle third must grow by less than 10 %
# (RSS) and 5 % (fds). Exit 0: flat, and every visit kept its media through
# every drop; 1: setup failed; 2: media failed; 3: not flat.
set -eu
cd "$(dirname "$0")/../.."
TOP=$(pwd)

if [ "${SOAK_INSIDE:-}" != 1 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "run.sh: needs root (network namespace): sudo $0" >&2
    exit 1
  fi
  ./scripts/install-deps.sh
  BUILDDIR=${SOAK_BUILDDIR:-build-soak}
  [ -f "$BUILDDIR/build.ninja" ] || meson setup "$BUILDDIR" --buildtype=release
  ninja -C "$BUILDDIR" server/telehealthd tests/load/th-load
  case "$BUILDDIR" in /*) ;; *) BUILDDIR="$TOP/$BUILDDIR" ;; esac
  export SOAK_INSIDE=1 SOAK_BIN="$BUILDDIR"
  # --kill-child: if unshare dies, so does everything started inside.
  exec unshare --net --fork --kill-child -- sh -c 'ip link set lo up && exec "$0"' \
    "$TOP/tests/soak/run.sh"
fi

# ---- inside the namespace: only lo ----
VISITS=${SOAK_VISITS:-20}
DURATION=${SOAK_DURATION:-600}
DROP_EVERY=${SOAK_DROP_EVERY:-60}
BITRATE=${SOAK_BITRATE:-1000}
INTERVAL=${SOAK_INTERVAL:-10}
WARMUP=${SOAK_WARMUP:-60}
OUT=${SOAK_OUT:-tests/soak/results}
# Visits start over VISITS/2 s (1 to 10): setup bursts stay small.
RAMP=$(awk -v n="$VISITS" 'BEGIN { r = n / 2; if (r < 1) r = 1; if (r > 10) r = 10; print r }')
STAMP=$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT"
RAW="$OUT/soak-$STAMP-raw"
CSV="$OUT/soak-$STAMP.csv"
mkdir -p "$RAW"
TMP=$(mktemp -d /tmp/th-soak-XXXXXX)
SERVER_PID="" LOAD_PID=""

cleanup() {
  # Only what this script started, by pid.
  [ -n "$LOAD_PID" ] && kill -INT "$LOAD_PID" 2>/dev/null || true
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    i=0
    while kill -0 "$SERVER_PID" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
  fi
  [ -n "$LOAD_PID" ] && kill -KILL "$LOAD_PID" 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# A copy of the config: the catalog by absolute path, and room for every
# reconnect from 127.0.0.1.
sed -e "s|^catalog = .*|catalog = $TOP/config/medications.json|" \
    -e "s|^connections_per_address = .*|connections_per_address = 10000|" \
    config/telehealth.conf > "$TMP/telehealth.conf"
if ! grep -q "^catalog = /" "$TMP/telehealth.conf" ||
   ! grep -q "^connections_per_address = 10000" "$TMP/telehealth.conf"; then
  echo "soak: config/telehealth.conf has no 'catalog =' or 'connections_per_address =' line to set" >&2
  exit 1
fi
cp "$TMP/telehealth.conf" "$RAW/telehealth.conf"

"$SOAK_BIN/server/telehealthd" --config "$TMP/telehealth.conf" --listen 127.0.0.1:8080 \
  --data-dir "$TMP/data" --demo > "$RAW/server.out" 2> "$RAW/server.err" &
SERVER_PID=$!

# The last JSON line on stdout is the demo line (tests/CONTRACT.md).
LOGIN=""
i=0
while [ -z "$LOGIN" ]; do
  kill -0 "$SERVER_PID" 2>/dev/null || { echo "soak: telehealthd exited early" >&2; tail -20 "$RAW/server.err" >&2; exit 1; }
  [ $i -ge 200 ] && { echo "soak: no demo line from telehealthd in 20 s" >&2; exit 1; }
  LOGIN=$(python3 - "$RAW/server.out" <<'EOF' || true
import json, sys
for line in reversed(open(sys.argv[1]).read().splitlines()):
    try:
        o = json.loads(line)
    except ValueError:
        continue
    if isinstance(o, dict) and o.get("provider_login"):
        print(o["provider_login"]["username"])
        print(o["provider_login"]["password"])
        break
EOF
)
  [ -z "$LOGIN" ] && sleep 0.1
  i=$((i + 1))
done
TH_USER=$(printf '%s\n' "$LOGIN" | sed -n 1p)
TH_PASS=$(printf '%s\n' "$LOGIN" | sed -n 2p)

# phase: idle (before th-load), run (visits up to the end of the media),
# after (th-load ended its visits and exited).
sample() {  # phase t_s
  rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$SERVER_PID/status" 2>/dev/null || echo "")
  thr=$(awk '/^Threads:/ { print $2 }' "/proc/$SERVER_PID/status" 2>/dev/null || echo "")
  fds=$(find "/proc/$SERVER_PID/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
  if [ -n "$rss" ]; then echo "$1,$2,$rss,$fds,$thr" >> "$CSV"; fi
}

echo "phase,t_s,rss_kib,fds,threads" > "$CSV"
echo "soak: $VISITS visits x $DURATION s (ramp-up $RAMP s), each client drops every $DROP_EVERY s," \
  "bitrate $BITRATE kbit/s; telehealthd pid $SERVER_PID; samples every $INTERVAL s -> $CSV"
# shellcheck disable=SC2086
"$SOAK_BIN/tests/load/th-load" --server ours --url http://127.0.0.1:8080 \
  --username "$TH_USER" --password "$TH_PASS" --visits "$VISITS" --duration "$DURATION" \
  --ramp-up "$RAMP" --timeout 20 --drop-every "$DROP_EVERY" --bitrate "$BITRATE" \
  --json "$RAW/th-load.json" ${SOAK_EXTRA_ARGS:-} > "$RAW/th-load.out" 2> "$RAW/th-load.err" &
LOAD_PID=$!
START=$(date +%s)
BUDGET=$(awk -v d="$DURATION" -v r="$RAMP" 'BEGIN { printf "%d", d + r + 90 }')
MEDIA_END=$(awk -v d="$DURATION" -v r="$RAMP" 'BEGIN { printf "%d", d + r }')
sample idle 0
n=1
while kill -0 "$LOAD_PID" 2>/dev/null; do
  now=$(date +%s)
  if [ $((now - START)) -gt "$BUDGET" ]; then
    echo "soak: th-load still running after $BUDGET s; stopping it" >&2
    kill -INT "$LOAD_PID" 2>/dev/null || true
    sleep 5
    kill -KILL "$LOAD_PID" 2>/dev/null || true
    break
  fi
  next=$((START + n * INTERVAL))
  if [ "$now" -ge "$next" ] && [ "$next" -le $((START + MEDIA_END)) ]; then
    sample run $((now - START))
    n=$((n + 1))
  else
    sleep 1
  fi
done
LOAD_RC=0
wait "$LOAD_PID" || LOAD_RC=$?
LOAD_PID=""
kill -0 "$SERVER_PID" 2>/dev/null || { echo "soak: telehealthd died during the run" >&2; LOAD_RC=1; }
sleep 5  # the visits' pipelines go away from the server's main loop
sample after $(($(date +%s) - START))

# The server's own record of the drops: the visit timeline (WAL: readable
# while it runs).
python3 - "$TMP/data/telehealth.db" > "$RAW/timeline.txt" <<'EOF' || true
import sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True, timeout=5)
for kind, n in db.execute("SELECT kind, count(*) FROM visit_events WHERE kind <> 'state' "
                          "GROUP BY kind ORDER BY kind"):
    print(kind, n)
EOF

echo
echo "== samples (server RSS KiB, open fds, threads) =="
column -s, -t < "$CSV" 2>/dev/null || cat "$CSV"
echo
echo "== th-load (exit $LOAD_RC) =="
cat "$RAW/th-load.out"
grep -E "drop [0-9]+:|signaling closed|bye:|no media" "$RAW/th-load.err" | head -20 || true
echo "server timeline events: $(tr '\n' ' ' < "$RAW/timeline.txt")"

# Verdict, and a one-file summary next to the CSV.
python3 - "$CSV" "$RAW/th-load.json" "$WARMUP" "$LOAD_RC" "$VISITS" "$DURATION" "$DROP_EVERY" \
  "$BITRATE" "$OUT/soak-$STAMP.json" "$RAW/timeline.txt" <<'EOF'
import json, sys
csv, load_json, warmup, load_rc, visits, duration, drop_every, bitrate, out, tl = sys.argv[1:]
warmup, load_rc = float(warmup), int(load_rc)
rows = [l.split(",") for l in open(csv).read().split()[1:]]
idle = [(float(t), float(r), float(f)) for p, t, r, f, h in rows if p == "idle"]
post = [(float(t), float(r), float(f)) for p, t, r, f, h in rows if p == "after"]
rows = [(float(t), float(r), float(f)) for p, t, r, f, h in rows if p == "run"]
after = [r for r in rows if r[0] > warmup]
third = len(after) // 3
res = {"visits": int(visits), "duration_s": float(duration), "drop_every_s": float(drop_every),
       "bitrate_kbps": int(bitrate), "samples": len(rows), "th_load_exit": load_rc}
problems = []
if third < 1:
    problems.append(f"too few samples after the {warmup:.0f} s warm-up ({len(after)})")
else:
    mid, last = after[third:2 * third], after[len(after) - third:]
    for i, name, limit in ((1, "rss_kib", 10.0), (2, "fds", 5.0)):
        m = sum(r[i] for r in mid) / len(mid)
        l = sum(r[i] for r in last) / len(last)
        g = 100.0 * (l - m) / m if m else 0.0
        res[name] = {"idle_before": idle[0][i] if idle else None, "first": rows[0][i],
                     "after_warmup": after[0][i], "middle_mean": round(m, 1),
                     "last_mean": round(l, 1), "end": rows[-1][i], "max": max(r[i] for r in rows),
                     "idle_after": post[0][i] if post else None,
                     "growth_pct": round(g, 2), "limit_pct": limit}
        print(f"{name:8}: idle {idle[0][i] if idle else float('nan'):.0f}, first {rows[0][i]:.0f}, after "
              f"warm-up {after[0][i]:.0f}, middle third mean {m:.0f}, last third mean {l:.0f}, "
              f"end {rows[-1][i]:.0f}, max {max(r[i] for r in rows):.0f}, idle after "
              f"{post[0][i] if post else float('nan'):.0f}: growth {g:+.2f} % "
              f"(limit {limit:.0f} %)")
        if g >= limit:
            problems.append(f"{name} grew {g:.2f} % (limit {limit:.0f} %)")
flat = not problems
media_ok = False
try:
    j = json.load(open(load_json))
    s = j["summary"]
    res["th_load"] = {k: s.get(k) for k in ("visits_ok", "visits_failed", "loss_pct", "drops",
                                            "drop_failures", "recovery_ms", "seen_again_ms",
                                            "first_frame_ms", "latency_ms")}
    res["loadgen_saturated"] = j.get("loadgen_saturated")
    res["loadgen_cpu_pct"] = j.get("loadgen_cpu_pct")
    print(f"th-load : {s['visits_ok']}/{j['visits']} visits ok, loss {s['loss_pct']:.3f} %, "
          f"{s.get('drops')} drops ({s.get('drop_failures')} failed), recovery p50/p95 "
          f"{s['recovery_ms']['p50']}/{s['recovery_ms']['p95']} ms (partner sees it again "
          f"{s['seen_again_ms']['p50']}/{s['seen_again_ms']['p95']} ms), load generator "
          f"{j['loadgen_cpu_pct']:.0f} % of a core, saturated: {j['loadgen_saturated']}")
    media_ok = load_rc == 0 and s["visits_ok"] == j["visits"] and not s.get("drop_failures")
    try:
        events = dict((k, int(n)) for k, n in (l.split() for l in open(tl) if l.strip()))
    except (OSError, ValueError):
        events = {}
    res["server_timeline"] = events
    if events.get("drop") != s.get("drops") or events.get("return") != s.get("drops"):
        print(f"warning : the server's timeline has {events.get('drop')} drop and "
              f"{events.get('return')} return events for th-load's {s.get('drops')} drops")
except (OSError, ValueError, KeyError, TypeError) as e:
    print(f"th-load : no usable JSON ({e})")
res["flat"], res["media_ok"] = flat, media_ok
json.dump(res, open(out, "w"), indent=1)
verdict = "FLAT" if flat else "NOT FLAT: " + "; ".join(problems)
print(f"verdict : {verdict}; media {'ok through every drop' if media_ok else 'FAILED'}")
sys.exit(0 if flat and media_ok else (2 if not media_ok else 3))
EOF
