#!/usr/bin/env python3
"""Integration (issue 17 item 2): telehealthd as a systemd Type=notify service,
without systemd: this test is the notify socket (NOTIFY_SOCKET, a Unix
datagram socket, as systemd makes it) and the watchdog's interval
(WATCHDOG_USEC).

- READY=1 comes once the server answers: at that moment its port accepts a
  connection and the health check answers;
- WATCHDOG=1 comes at half the interval, from the main loop;
- SIGTERM: STOPPING=1, then exit 0 within 10 s (the unit's TimeoutStopSec);
- a second server on the same data directory is refused, in words;
- the unit files (the server, the daily backup and its timer):
  `systemd-analyze verify` accepts them (ExecStart pointed at this build) and
  `systemd-analyze security --offline=yes` rates each service's exposure at
  most 2.5.

Runs in a loopback-only network namespace (tests/netns-run.sh); every wait is
bounded."""
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

BIN = os.environ["TELEHEALTHD"]
ROOT = os.environ["TH_SOURCE_ROOT"]
UNIT_DIR = os.path.join(ROOT, "config", "systemd")
UNITS = ["telehealthd.service", "telehealthd-backup.service", "telehealthd-backup.timer"]
WATCHDOG_USEC = 400000  # pings every 200 ms
MAX_EXPOSURE = 2.5


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    print("ok -", what, flush=True)


def receive(sock, until):
    """The next notification (a dict of its lines), or None at `until`."""
    left = until - time.monotonic()
    if left <= 0:
        return None
    sock.settimeout(left)
    try:
        data = sock.recv(4096).decode()
    except socket.timeout:
        return None
    return dict(line.split("=", 1) for line in data.splitlines() if "=" in line)


def wait_for(sock, key, seconds, seen):
    until = time.monotonic() + seconds
    while True:
        msg = receive(sock, until)
        if msg is None:
            return None
        seen.append(msg)
        if key in msg:
            return msg


def main():
    work = tempfile.mkdtemp(prefix="th-service-")
    proc = None
    try:
        notify_path = os.path.join(work, "notify")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(notify_path)
        data_dir = os.path.join(work, "data")
        env = dict(os.environ, NOTIFY_SOCKET=notify_path, WATCHDOG_USEC=str(WATCHDOG_USEC))
        env.pop("WATCHDOG_PID", None)
        proc = subprocess.Popen([BIN, "--listen", "127.0.0.1:0", "--data-dir", data_dir],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        seen = []
        ready = wait_for(sock, "READY", 30, seen)
        check(ready is not None and ready["READY"] == "1", "READY=1 once the server is up")
        check(int(ready.get("MAINPID", "0")) == proc.pid, "MAINPID is the server's own")
        port = int(re.search(r"serving on port (\d+)", ready.get("STATUS", "")).group(1))
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/healthz")
        answer = conn.getresponse()
        check(answer.status == 200, "at READY the server answers on port %d (GET /healthz: %d)"
              % (port, answer.status))
        conn.close()

        pings = []
        until = time.monotonic() + 1.5
        while time.monotonic() < until:
            msg = receive(sock, until)
            if msg and msg.get("WATCHDOG") == "1":
                pings.append(time.monotonic())
        check(len(pings) >= 5, "WATCHDOG=1 every ~200 ms from the main loop (%d in 1.5 s)" % len(pings))

        second = subprocess.run([BIN, "--listen", "127.0.0.1:0", "--data-dir", data_dir],
                                env=dict(os.environ), capture_output=True, text=True, timeout=30)
        check(second.returncode == 1 and
              "a telehealthd server is running on the data directory" in second.stderr,
              "a second server on the same data directory is refused: %r" % second.stderr.strip())

        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        stopping = wait_for(sock, "STOPPING", 10, [])
        check(stopping is not None and stopping["STOPPING"] == "1", "STOPPING=1 on SIGTERM")
        code = proc.wait(timeout=10)
        took = time.monotonic() - started
        check(code == 0 and took < 10, "exit 0 within 10 s of SIGTERM (%d after %.1f s)" % (code, took))
        proc = None

        # The unit files, as systemd reads them (ExecStart pointed at this build).
        units = []
        for name in UNITS:
            with open(os.path.join(UNIT_DIR, name)) as f:
                text = f.read().replace("/usr/bin/telehealthd", BIN)
            units.append(os.path.join(work, name))
            with open(units[-1], "w") as f:
                f.write(text)
        verify = subprocess.run(["systemd-analyze", "verify"] + units, capture_output=True,
                                text=True, timeout=60)
        check(verify.returncode == 0, "systemd-analyze verify accepts %s: %s"
              % (", ".join(UNITS), verify.stderr.strip() or "no complaint"))
        for unit in units:
            name = os.path.basename(unit)
            if not name.endswith(".service"):
                continue
            security = subprocess.run(["systemd-analyze", "security", "--offline=yes", unit],
                                      capture_output=True, text=True, timeout=60)
            m = re.search(r"Overall exposure level for %s: ([0-9.]+)" % re.escape(name),
                          security.stdout + security.stderr)
            check(m is not None, "systemd-analyze security rates %s" % name)
            check(float(m.group(1)) <= MAX_EXPOSURE,
                  "%s: exposure %s (at most %.1f)" % (name, m.group(1), MAX_EXPOSURE))
    finally:
        if proc is not None:
            proc.kill()
            proc.wait()
            sys.stderr.write(proc.stderr.read().decode(errors="replace")[-3000:])
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
