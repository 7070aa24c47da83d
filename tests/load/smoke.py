#!/usr/bin/env python3
"""load-smoke: th-load against a real telehealthd, 2 visits for 10 s.

Run inside tests/netns-run.sh (a fresh network namespace with only `lo`).
Starts telehealthd in --demo mode on a free port, takes the base URL and the
demo provider's sign-in from the last JSON line it prints, runs
`th-load --server ours --visits 2 --duration 10`, and asserts that every
client (patient and provider of each visit) received video frames and audio
packets, i.e. media flowed in every direction through the server. Stops the
server with SIGTERM. Everything is bounded in time.

Usage: smoke.py PATH/TO/th-load   (env: TELEHEALTHD, TH_SOURCE_ROOT)
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse

SERVER_START_S = 20
LOAD_BUDGET_S = 40


def fail(msg, server_err=None):
    print(f"FAIL: {msg}", file=sys.stderr)
    if server_err:
        print("--- telehealthd stderr (tail) ---", file=sys.stderr)
        print("\n".join(server_err.splitlines()[-40:]), file=sys.stderr)
    sys.exit(1)


def main():
    th_load = sys.argv[1]
    daemon = os.environ.get("TELEHEALTHD")
    root = os.environ.get("TH_SOURCE_ROOT")
    if not daemon or not root:
        fail("TELEHEALTHD and TH_SOURCE_ROOT must be set (meson sets them)")
    tmp = tempfile.mkdtemp(prefix="th-load-smoke-")
    out_path = os.path.join(tmp, "server.out")
    err_path = os.path.join(tmp, "server.err")
    server = None
    try:
        with open(out_path, "w") as out, open(err_path, "w") as err:
            server = subprocess.Popen(
                [daemon, "--config", os.path.join(root, "config", "telehealth.conf"),
                 "--listen", "127.0.0.1:0", "--data-dir", os.path.join(tmp, "data"), "--demo"],
                stdout=out, stderr=err)

        def server_err():
            with open(err_path) as f:
                return f.read()

        # The LAST JSON line on stdout is the demo line (tests/CONTRACT.md).
        demo = None
        deadline = time.monotonic() + SERVER_START_S
        while demo is None:
            if server.poll() is not None:
                fail(f"telehealthd exited early ({server.returncode})", server_err())
            if time.monotonic() > deadline:
                fail("no demo JSON line from telehealthd", server_err())
            with open(out_path) as f:
                for line in f.read().splitlines():
                    line = line.strip()
                    if line.startswith("{"):
                        try:
                            obj = json.loads(line)
                        except ValueError:
                            continue
                        if obj.get("provider_login") and obj.get("patient_url"):
                            demo = obj
            if demo is None:
                time.sleep(0.1)

        u = urllib.parse.urlsplit(demo["patient_url"])
        base = f"{u.scheme}://{u.netloc}"
        login = demo["provider_login"]
        result_path = os.path.join(tmp, "load.json")
        cmd = [th_load, "--server", "ours", "--url", base,
               "--username", login["username"], "--password", login["password"],
               "--visits", "2", "--duration", "10", "--ramp-up", "1", "--timeout", "15",
               "--json", result_path]
        print("running:", " ".join(c if c != login["password"] else "***" for c in cmd))
        try:
            run = subprocess.run(cmd, timeout=LOAD_BUDGET_S, capture_output=True, text=True)
        except subprocess.TimeoutExpired as e:
            fail(f"th-load did not finish within {LOAD_BUDGET_S} s:\n{e.stderr}", server_err())
        print(run.stdout, end="")
        if run.returncode != 0:
            print(run.stderr, file=sys.stderr)
        if not os.path.exists(result_path):
            fail(f"th-load wrote no JSON (exit {run.returncode})", server_err())
        with open(result_path) as f:
            res = json.load(f)

        problems = []
        if len(res["clients"]) != 4:
            problems.append(f"expected 4 clients, got {len(res['clients'])}")
        for c in res["clients"]:
            who = f"visit {c['visit']} {c['role']}"
            if c["video_frames"] <= 0:
                problems.append(f"{who}: no video frames")
            if c["audio_packets"] <= 0:
                problems.append(f"{who}: no audio packets")
            if c.get("failure"):
                problems.append(f"{who}: {c['failure']}")
            print(f"{who}: first frame {c['first_frame_ms']} ms, {c['video_frames']} frames, "
                  f"{c['video_packets']} video / {c['audio_packets']} audio packets, "
                  f"{c['packets_lost']} lost, latency {c['latency_ms']}")
        if res["summary"]["visits_ok"] != 2:
            problems.append(f"visits_ok {res['summary']['visits_ok']} != 2")
        if run.returncode != 0:
            problems.append(f"th-load exited {run.returncode}")
        if problems:
            fail("; ".join(problems), server_err())
        print("ok: media in every direction for every client")
    finally:
        if server is not None and server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
