#!/usr/bin/env python3
"""Integration (issue 17 item 3): under systemd the server's log goes to the
journal with its fields. This test plays journald: in a private mount namespace
it binds /run/systemd/journal/stdout (the server's stderr is connected to it,
as systemd connects a service's) and /run/systemd/journal/socket.
GLib's journald writer (GLib knows the journal by the name of the socket
its stderr is connected to, /run/systemd/journal/stdout) then sends each
record in the journal's native protocol; we read them back and check:

- (a private mount namespace: /run is a tmpfs of its own, so the machine's
  journal, if it has one, is never touched)
- the start is a record with MESSAGE, PRIORITY=5 and GLIB_DOMAIN;
- a patient's hello (a real WebSocket from here) gives records with
  VISIT_ID, PARTICIPANT_ROLE=patient and EVENT=visit.join, and the visit's
  state change with EVENT=visit.state;
- no record holds the patient's name or the link's token.

Runs in a loopback-only network namespace (tests/netns-run.sh) as root (the
mount namespace); every wait is bounded."""
import base64
import json
import os
import shutil
import socket
import struct
import sys
import subprocess
import tempfile
import time
import urllib.parse

import th_process

BIN = os.environ["TELEHEALTHD"]


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    print("ok -", what, flush=True)


def parse_native(data):
    """One datagram of the journal's native protocol: KEY=VALUE lines, or
    KEY, newline, a 64-bit little-endian length, the value, newline."""
    fields, i = {}, 0
    while i < len(data):
        nl = data.index(b"\n", i)
        line = data[i:nl]
        if b"=" in line:
            k, v = line.split(b"=", 1)
            fields[k.decode()] = v.decode(errors="replace")
            i = nl + 1
        else:
            (n,) = struct.unpack("<Q", data[nl + 1:nl + 9])
            fields[line.decode()] = data[nl + 9:nl + 9 + n].decode(errors="replace")
            i = nl + 9 + n + 1
    return fields


def websocket_hello(port, token):
    """A WebSocket to /signaling (RFC 6455 by hand) that says hello."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(("GET /signaling HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
               "Origin: http://127.0.0.1:%d\r\n\r\n" % (port, key, port)).encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(4096)
    check(head.startswith(b"HTTP/1.1 101"), "the WebSocket is accepted")
    payload = json.dumps({"type": "hello", "token": token}).encode()
    mask = os.urandom(4)
    frame = bytes([0x81, 0x80 | len(payload)]) + mask + bytes(
        b ^ mask[i % 4] for i, b in enumerate(payload))
    assert len(payload) < 126
    s.sendall(frame)
    return s


def main():
    work = tempfile.mkdtemp(prefix="th-journal-")
    proc = None
    ws = None
    try:
        # journald's two sockets, as systemd-journald binds them. GLib knows
        # the journal by the name of the socket its stderr is connected to.
        subprocess.run(["mount", "-t", "tmpfs", "none", "/run"], check=True)
        os.makedirs("/run/systemd/journal")
        journal = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        journal.bind("/run/systemd/journal/socket")
        journal.settimeout(0.2)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind("/run/systemd/journal/stdout")
        listener.listen(1)
        theirs = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        theirs.connect("/run/systemd/journal/stdout")
        ours, _ = listener.accept()
        st = os.fstat(theirs.fileno())
        env = dict(os.environ, JOURNAL_STREAM="%d:%d" % (st.st_dev, st.st_ino))
        proc = subprocess.Popen([BIN, "--listen", "127.0.0.1:0", "--data-dir",
                                 os.path.join(work, "data"), "--demo"],
                                env=env, stdout=subprocess.PIPE, stderr=theirs.fileno())
        theirs.close()

        # The demo's links: the last stdout line, one JSON object.
        demo = None
        deadline = time.monotonic() + 30
        while demo is None and time.monotonic() < deadline:
            line = proc.stdout.readline().decode()
            if not line:
                break
            if line.startswith("{"):
                demo = json.loads(line)
        check(demo is not None, "the server started with a demo visit")
        url = urllib.parse.urlparse(demo["patient_url"])
        token = urllib.parse.parse_qs(url.fragment)["token"][0]
        visit = demo["visit_id"]
        # The patient's name, read from the database behind the server's back.
        patient_name = th_process.db_query(
            os.path.join(work, "data"), "SELECT p.display_name FROM patients p JOIN visits v"
            " ON v.patient_id = p.id WHERE v.id = $1", (visit,))[0][0]
        ws = websocket_hello(url.port, token)

        records = []
        deadline = time.monotonic() + 15
        want = lambda: (any(r.get("EVENT") == "visit.join" for r in records) and
                        any(r.get("EVENT") == "visit.state" for r in records))
        while time.monotonic() < deadline and not want():
            try:
                records.append(parse_native(journal.recv(65536)))
            except socket.timeout:
                pass
        if not records:
            ours.setblocking(False)
            try:
                print(ours.recv(65536).decode(errors="replace"))
            except BlockingIOError:
                pass
        check(len(records) > 0, "records reach the journal socket (%d)" % len(records))
        start = [r for r in records if "listening on" in r.get("MESSAGE", "")]
        check(start and start[0].get("PRIORITY") == "5" and start[0].get("GLIB_DOMAIN") == "th-server",
              "the start is a record with MESSAGE, PRIORITY=5 and GLIB_DOMAIN")
        join = [r for r in records if r.get("EVENT") == "visit.join"]
        check(join and join[0].get("VISIT_ID") == visit and join[0].get("PARTICIPANT_ROLE") == "patient",
              "the patient's join: VISIT_ID, PARTICIPANT_ROLE=patient, EVENT=visit.join")
        state = [r for r in records if r.get("EVENT") == "visit.state"]
        check(state and state[0].get("VISIT_ID") == visit and "waiting" in state[0].get("MESSAGE", ""),
              "the visit's state change: VISIT_ID, EVENT=visit.state")
        text = json.dumps(records)
        check(token not in text, "no record holds the link's token")
        check(patient_name and patient_name not in text, "no record holds the patient's name")
        # GLib wrote to the journal, not to the stream (stderr) it also had.
        ours.setblocking(False)
        try:
            stream = ours.recv(65536).decode(errors="replace")
        except BlockingIOError:
            stream = ""
        check("listening on" not in stream, "the records went to the journal, not to stderr")
    finally:
        if ws is not None:
            ws.close()
        if proc is not None:
            th_process.stop(proc, 10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    # Its own mount namespace, so that /run is a private tmpfs.
    if os.environ.get("TH_JOURNAL_TEST_NS") != "1":
        # A chroot's "/" is no mount point, and its mounts cannot be made
        # private: then this test would have to mount over the machine's own
        # /run, which it never does. It says so and is skipped (77).
        probe = subprocess.run(["unshare", "--mount", "--propagation", "private", "true"],
                               capture_output=True, text=True, timeout=30)
        if probe.returncode != 0:
            print("skipped: no private mount namespace here (%s)" % probe.stderr.strip())
            sys.exit(77)
        os.environ["TH_JOURNAL_TEST_NS"] = "1"
        os.execvp("unshare", ["unshare", "--mount", "--propagation", "private", sys.executable,
                              os.path.abspath(__file__)])
    main()
