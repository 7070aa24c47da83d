#!/usr/bin/env python3
"""The benchmark loop, run by tests/bench/run.sh inside a fresh network
namespace (lo up, plus a veth end holding 127.0.0.1/32 for Janus).

For each N it starts a server (telehealthd, then Janus), runs th-load against
it, samples the server's /proc every second, stops it; plus a `--server
direct` run (the two peers of each visit connected to each other, no server)
as the latency reference. Then it prints the table, writes the CSV and a PNG
plot. Every wait is bounded; every child is killed on the way out.

Settings come from the environment (run.sh documents them):
  BENCH_N, BENCH_DURATION, BENCH_RAMP_UP, BENCH_BITRATE, BENCH_DIRECT,
  BENCH_SERVERS, BENCH_LOSS_STOP, BENCH_SETTLE, BENCH_OUT, BENCH_EXTRA_ARGS,
  BENCH_PERF (seconds of `perf record` on the server in the steady window)
and the paths TELEHEALTHD, TH_LOAD, TH_CONFIG, JANUS_DIR.
"""

import csv
import ctypes
import datetime
import json
import math
import os
import re
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
CLK_TCK = os.sysconf("SC_CLK_TCK")
NPROC = os.cpu_count() or 1
STREAMS_PER_VISIT = 4  # audio + video, each way

PROGRESS = re.compile(r"th-load:\s+([0-9.]+) s:")
RECEIVED = re.compile(r"(\d+) packets received")
OURS_PORT = int(os.environ.get("BENCH_PORT", "8080"))
JANUS_PORT = 8188  # tests/bench/janus/janus.transport.websockets.jcfg


def perf_report(workdir):
    """Where the server's CPU went: by thread name and by function, as text
    beside the run's other raw files (perf-threads.txt, perf-symbols.txt)."""
    data = os.path.join(workdir, "perf.data")
    for name, sort in (("perf-threads.txt", "comm"), ("perf-symbols.txt", "dso,sym")):
        with open(os.path.join(workdir, name), "w") as out:
            subprocess.run(["perf", "report", "-i", data, "--stdio", "--no-children",
                            "--sort", sort, "-g", "none", "--percent-limit", "1"],
                           stdout=out, stderr=subprocess.DEVNULL, timeout=120, check=False)


def env_list(name, default):
    return os.environ.get(name, default).split()


def log(*a):
    print("[bench]", *a, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- children

_children = []


def _pdeathsig():
    # Die with the bench, whatever kills it.
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:
        pass
    os.setpgrp()


def spawn(argv, **kw):
    p = subprocess.Popen(argv, preexec_fn=_pdeathsig, **kw)
    _children.append(p)
    return p


def stop(p, grace=10):
    if p is None or p.poll() is not None:
        return
    try:
        os.killpg(p.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        p.wait(grace)
    except subprocess.TimeoutExpired:
        log("pid", p.pid, "ignored SIGTERM for", grace, "s: SIGKILL")
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait(5)


def stop_all():
    for p in _children:
        try:
            stop(p, grace=5)
        except Exception:
            pass


def _on_signal(signum, _frame):
    raise KeyboardInterrupt("signal %d" % signum)


# ------------------------------------------------------------- /proc reads

def proc_cpu_s(pid):
    """utime + stime of a whole process (all threads), seconds."""
    with open("/proc/%d/stat" % pid) as f:
        s = f.read()
    fields = s[s.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # fields 14, 15


def proc_threads_cpu(pid):
    out = {}
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            try:
                with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                    s = f.read()
                name = s[s.index("(") + 1:s.rindex(")")]
                fields = s[s.rindex(")") + 2:].split()
                out[tid] = (name, (int(fields[11]) + int(fields[12])) / CLK_TCK)
            except (FileNotFoundError, ProcessLookupError, ValueError):
                pass
    except FileNotFoundError:
        pass
    return out


def proc_mem_kib(pid):
    rss = hwm = 0
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
    return rss, hwm


def proc_task_switches(pid):
    """{tid: voluntary + nonvoluntary context switches} of every task (thread)
    of a process, read from /proc/<pid>/task/<tid>/status. A task that ends
    between two reads is simply missing from the second."""
    out = {}
    try:
        tids = os.listdir("/proc/%d/task" % pid)
    except FileNotFoundError:
        return out
    for tid in tids:
        n = 0
        try:
            with open("/proc/%d/task/%s/status" % (pid, tid)) as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches:", "nonvoluntary_ctxt_switches:")):
                        n += int(line.split()[1])
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue
        out[tid] = n
    return out


def switches_between(samples):
    """Context switches of all the server's tasks from the first sample to the
    last: per task its last count seen minus its count in the first sample (0
    for a task born later). A task that ended counts up to its last sample, so
    what it did in its last second is missed, and so is a task that lived
    less than a second; both are rare in the steady window."""
    first = samples[0][6]
    last = {}
    for s in samples:
        last.update(s[6])
    return sum(n - first.get(tid, 0) for tid, n in last.items())


class Sampler(threading.Thread):
    """Every second: the server's CPU, memory, tasks and their context
    switches, and th-load's CPU per thread."""

    def __init__(self, server_pid, load_pid):
        super().__init__(daemon=True)
        self.server_pid = server_pid
        self.load_pid = load_pid
        # (t, server_cpu_s, rss_kib, hwm_kib, load_cpu_s, {tid: (name, cpu)}, {server tid: switches})
        self.samples = []
        self.halt = threading.Event()

    def sample(self):
        t = time.monotonic()
        scpu = rss = hwm = None
        switches = {}
        if self.server_pid:
            try:
                scpu = proc_cpu_s(self.server_pid)
                rss, hwm = proc_mem_kib(self.server_pid)
                switches = proc_task_switches(self.server_pid)
            except (FileNotFoundError, ProcessLookupError):
                pass
        lcpu = None
        threads = {}
        try:
            lcpu = proc_cpu_s(self.load_pid)
            threads = proc_threads_cpu(self.load_pid)
        except (FileNotFoundError, ProcessLookupError):
            pass
        self.samples.append((t, scpu, rss, hwm, lcpu, threads, switches))

    def run(self):
        while not self.halt.is_set():
            self.sample()
            self.halt.wait(1.0)


# ----------------------------------------------------------------- servers

def wait_tcp(port, deadline_s, proc):
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.1)
    return False


# BENCH_SERVERS names: telehealthd with its default media engine, or with
# [media] engine set; and Janus.
OUR_ENGINES = {"ours": None, "webrtcbin": "webrtcbin", "lean": "lean"}
SERVERS = list(OUR_ENGINES) + ["janus"]
LABELS = {"ours": "telehealthd (default engine)", "webrtcbin": "telehealthd, webrtcbin engine",
          "lean": "telehealthd, lean engine", "janus": "Janus 1.1.2 VideoRoom"}
# Keys of the config whose relative paths are taken from the config file's
# folder: an override written elsewhere makes them absolute.
CONFIG_PATH_KEYS = ("catalog", "monitoring", "turn_secret_file")


def engine_config(base, engine, workdir):
    """A copy of the config `base` with `[media] engine = <engine>`, written
    into workdir. Line by line rather than through configparser: GLib key
    files are not quite INI (';' lists, '\\n' escapes), and the copy should
    differ from the original in that one key only (plus absolute paths)."""
    base_dir = os.path.dirname(os.path.abspath(base))
    out, section, done = [], None, False
    with open(base) as f:
        lines = f.read().splitlines()
    for line in lines:
        head = re.match(r"\s*\[([^\]]+)\]\s*$", line)
        if head:
            if section == "media" and not done:
                out.append("engine = %s" % engine)
                done = True
            section = head.group(1).strip()
            out.append(line)
            continue
        kv = re.match(r"\s*([A-Za-z0-9_.-]+)\s*=\s*(.*?)\s*$", line)
        if kv and section == "media" and kv.group(1) == "engine":
            out.append("engine = %s" % engine)
            done = True
            continue
        if kv and kv.group(1) in CONFIG_PATH_KEYS and kv.group(2) and not os.path.isabs(kv.group(2)):
            out.append("%s = %s" % (kv.group(1), os.path.join(base_dir, kv.group(2))))
            continue
        out.append(line)
    if not done:
        if section != "media":
            out += ["", "[media]"]
        out.append("engine = %s" % engine)
    path = os.path.join(workdir, "telehealth.conf")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")
    return path


def start_ours(workdir, engine=None):
    data = os.path.join(workdir, "data")
    out = open(os.path.join(workdir, "telehealthd.stdout"), "w+")
    err = open(os.path.join(workdir, "telehealthd.log"), "w")
    config = os.environ["TH_CONFIG"]
    if engine:
        config = engine_config(config, engine, workdir)
    argv = [os.environ["TELEHEALTHD"], "--config", config,
            "--listen", "127.0.0.1:%d" % OURS_PORT, "--data-dir", data, "--demo"]
    p = spawn(argv, stdout=out, stderr=err, cwd=workdir)
    end = time.monotonic() + 30
    demo = None
    while time.monotonic() < end and p.poll() is None:
        out.seek(0)
        for line in out.read().splitlines():
            line = line.strip()
            if line.startswith("{") and "provider_login" in line:
                demo = json.loads(line)
        if demo:
            break
        time.sleep(0.1)
    if not demo:
        stop(p)
        raise RuntimeError("telehealthd did not print its demo line within 30 s (see %s)" % err.name)
    # The HTTP side answers too.
    url = "http://127.0.0.1:%d" % OURS_PORT
    end = time.monotonic() + 15
    while True:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if time.monotonic() > end or p.poll() is not None:
            stop(p)
            raise RuntimeError("telehealthd /healthz did not answer within 15 s")
        time.sleep(0.1)
    login = demo["provider_login"]
    return p, ["--url", url, "--username", login["username"], "--password", login["password"]]


def start_janus(workdir):
    jdir = os.environ["JANUS_DIR"]
    log_path = os.path.join(workdir, "janus.log")
    out = open(log_path, "w")
    argv = ["janus", "-F", jdir, "-C", os.path.join(jdir, "janus.jcfg"), "-o"]
    p = spawn(argv, stdout=out, stderr=subprocess.STDOUT, cwd=workdir)
    if not wait_tcp(JANUS_PORT, 30, p):
        stop(p)
        raise RuntimeError("janus did not listen on 127.0.0.1:%d within 30 s (see %s)" % (JANUS_PORT, log_path))
    return p, ["--url", "ws://127.0.0.1:%d" % JANUS_PORT]


# ------------------------------------------------------------------ one run

def pct(a, b):
    return 100.0 * a / b if b else float("nan")


def run_one(server, n, rawdir):
    duration = int(os.environ.get("BENCH_DURATION", "30"))
    ramp = os.environ.get("BENCH_RAMP_UP")
    ramp = int(ramp) if ramp else min(10, max(1, math.ceil(n / 10)))
    bitrate = os.environ.get("BENCH_BITRATE", "1000")
    settle = float(os.environ.get("BENCH_SETTLE", "3"))
    tag = "%s-n%d" % (server, n)
    workdir = tempfile.mkdtemp(prefix=tag + "-", dir=rawdir)
    row = {"N": n, "server": server, "valid": "no", "why": ""}

    proc, url_args = None, []
    idle_rss = idle_threads = None
    try:
        if server in OUR_ENGINES:
            proc, url_args = start_ours(workdir, OUR_ENGINES[server])
        elif server == "janus":
            proc, url_args = start_janus(workdir)
        if proc:
            time.sleep(1.0)  # idle baseline after start-up
            idle_rss, _ = proc_mem_kib(proc.pid)
            idle_threads = len(os.listdir("/proc/%d/task" % proc.pid))
            cpu_idle0 = proc_cpu_s(proc.pid)
    except Exception as e:  # noqa: BLE001 - report and go on
        row["why"] = "server start failed: %s" % e
        log(tag, row["why"])
        return row

    json_path = os.path.join(workdir, "th-load.json")
    kind = "ours" if server in OUR_ENGINES else server
    argv = [os.environ["TH_LOAD"], "--server", kind] + url_args + [
        "--visits", str(n), "--duration", str(duration), "--ramp-up", str(ramp),
        "--bitrate", str(bitrate), "--json", json_path, "--verbose"] + shlex.split(os.environ.get("BENCH_EXTRA_ARGS", ""))
    log(tag, "running:", " ".join(shlex.quote(a) for a in argv if a))
    lerr = open(os.path.join(workdir, "th-load.log"), "w")
    t_start = time.monotonic()
    load = spawn(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    run_start = []  # when th-load's run began (after its prepare step)
    received = []  # (when, RTP packets all its clients received so far)

    def reader():
        # th-load --verbose prints "th-load:   3.0 s: ..." every second of its
        # run; the first such line dates the run's start (sign-in, visit
        # creation and Janus room creation come before it).
        for raw in load.stdout:
            now = time.monotonic()
            line = raw.decode(errors="replace")
            lerr.write("%8.2f %s" % (now - t_start, line))
            m = PROGRESS.match(line)
            if m and not run_start:
                run_start.append(now - float(m.group(1)))
            m = RECEIVED.search(line) if m else None
            if m:
                received.append((now, int(m.group(1))))
        lerr.flush()

    rt = threading.Thread(target=reader, daemon=True)
    rt.start()
    sampler = Sampler(proc.pid if proc else None, load.pid)
    sampler.start()
    # th-load bounds itself; this is the bound on th-load.
    limit = ramp + duration + 60 + n
    rusage = None
    end = time.monotonic() + limit
    perf_s = float(os.environ.get("BENCH_PERF", "0") or 0)
    perf = None
    while True:
        # A CPU profile of the server in the steady window (software clock:
        # hardware counters are often missing on virtual machines).
        if (perf_s > 0 and perf is None and proc and run_start
                and time.monotonic() >= run_start[0] + ramp + settle):
            perf = spawn(["perf", "record", "-q", "-e", "cpu-clock", "-F", "499", "-g",
                          "-p", str(proc.pid), "-o", os.path.join(workdir, "perf.data"),
                          "--", "sleep", str(min(perf_s, max(1.0, duration - settle - 1)))],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        pid, status, ru = os.wait4(load.pid, os.WNOHANG)
        if pid:
            load.returncode = os.waitstatus_to_exitcode(status)
            rusage = ru
            break
        if time.monotonic() > end:
            log(tag, "th-load still running after", limit, "s: killing it")
            stop(load)
            break
        time.sleep(0.2)
    t_end = time.monotonic()
    if perf is not None:
        try:
            perf.wait(30)
            perf_report(workdir)
        except Exception as e:  # noqa: BLE001 - a profile is a bonus
            log(tag, "perf report failed:", e)
    rt.join(5)
    sampler.halt.set()
    sampler.join(5)
    final_rss = final_hwm = None
    if proc and proc.poll() is None:
        final_rss, final_hwm = proc_mem_kib(proc.pid)
    stop(proc)
    if proc and proc.returncode not in (0, None, -signal.SIGTERM):
        log(tag, "server exited with", proc.returncode)

    with open(os.path.join(workdir, "samples.csv"), "w") as f:
        w = csv.writer(f)
        w.writerow(["t_s", "server_cpu_s", "server_rss_kib", "server_hwm_kib", "server_threads",
                    "server_ctxt_switches", "load_cpu_s", "load_busiest_thread"])
        for (t, scpu, rss, hwm, lcpu, th, sw) in sampler.samples:
            busiest = max(th.values(), key=lambda v: v[1])[0] if th else ""
            w.writerow(["%.2f" % (t - t_start), scpu, rss, hwm, len(sw) if sw else "",
                        sum(sw.values()) if sw else "", lcpu, busiest])

    # ----- the load generator's own figures
    rep = None
    try:
        with open(json_path) as f:
            rep = json.load(f)
    except (OSError, ValueError) as e:
        row["why"] = "no th-load JSON (exit %s): %s" % (load.returncode, e)
    wall = t_end - t_start
    if rusage:
        load_cpu = rusage.ru_utime + rusage.ru_stime
    else:
        load_cpu = (sampler.samples[-1][4] or 0) if sampler.samples else float("nan")
    row["loadgen_cpu_pct"] = pct(load_cpu, wall)  # of one core, over its whole run
    row["loadgen_threads"] = max((len(x[5]) for x in sampler.samples), default=0)

    # Steady window: all visits up (after ramp-up + settle) until the end of
    # the media (duration after the ramp-up), as th-load defines it.
    t_run = run_start[0] if run_start else t_start
    row["prepare_s"] = t_run - t_start
    w0 = t_run + ramp + settle
    w1 = t_run + ramp + duration - 0.5
    win = [s for s in sampler.samples if w0 <= s[0] <= w1]
    if len(win) < 3:
        win = sampler.samples[len(sampler.samples) // 4: -1] or sampler.samples
    row["window_s"] = win[-1][0] - win[0][0] if len(win) >= 2 else 0.0

    # busiest load-generator thread over the window, % of a core
    busiest = 0.0
    busiest_name = ""
    if len(win) >= 2 and row["window_s"] > 0:
        a, b = win[0][5], win[-1][5]
        for tid, (name, c1) in b.items():
            c0 = a.get(tid, (name, 0.0))[1]
            u = pct(c1 - c0, row["window_s"])
            if u > busiest:
                busiest, busiest_name = u, name
        if a and b and win[0][4] is not None and win[-1][4] is not None:
            row["loadgen_window_cpu_pct"] = pct(win[-1][4] - win[0][4], row["window_s"])
    row["loadgen_busiest_thread_pct"] = busiest
    row["loadgen_busiest_thread"] = busiest_name

    # ----- server figures
    if proc and len(win) >= 2 and win[0][1] is not None and win[-1][1] is not None and row["window_s"] > 0:
        row["server_cpu_pct"] = pct(win[-1][1] - win[0][1], row["window_s"])
        row["server_cpu_total_s"] = (sampler.samples[-1][1] or 0) - cpu_idle0
    if proc:
        # Peak = the largest VmRSS sampled while th-load ran. VmHWM (kept in
        # the CSV) also holds start-up and sign-in transients (telehealthd's
        # scrypt password hashing allocates and frees about 32 MiB), which
        # are not a cost per visit.
        # Only samples from th-load's run on: its prepare step signs in
        # (scrypt) before any visit starts.
        rsss = [s[2] for s in sampler.samples if s[2] and s[0] >= t_run] + ([final_rss] if final_rss else [])
        hwms = [s[3] for s in sampler.samples if s[3]] + ([final_hwm] if final_hwm else [])
        peak = max(rsss) if rsss else None
        row["idle_rss_mib"] = idle_rss / 1024 if idle_rss else float("nan")
        row["peak_rss_mib"] = peak / 1024 if peak else float("nan")
        row["hwm_mib"] = max(hwms) / 1024 if hwms else float("nan")
        if peak and idle_rss:
            row["rss_per_visit_mib"] = (peak - idle_rss) / 1024 / n
        # Threads: the most tasks seen in the window (a leg's threads come and
        # go with it; the steady window has every visit up), less the idle
        # server's, per visit.
        counts = [len(s[6]) for s in win if s[6]]
        if counts and idle_threads:
            row["threads"] = max(counts)
            row["idle_threads"] = idle_threads
            row["threads_per_visit"] = (max(counts) - idle_threads) / n
        # Context switches per relayed packet: all the server's tasks'
        # switches per second over the window ÷ RTP packets per second that
        # th-load's clients received over the same window (each of them went
        # through the server once: in from one client, out to the other).
        got = [r for r in received if win and win[0][0] - 0.5 <= r[0] <= win[-1][0] + 0.5]
        if len(win) >= 2 and win[0][6] and row["window_s"] > 0:
            row["ctxt_switches_per_s"] = switches_between(win) / row["window_s"]
            if len(got) >= 2 and got[-1][0] > got[0][0] and got[-1][1] > got[0][1]:
                row["packets_per_s"] = (got[-1][1] - got[0][1]) / (got[-1][0] - got[0][0])
                row["ctxt_switches_per_packet"] = row["ctxt_switches_per_s"] / row["packets_per_s"]

    if rep:
        s = rep.get("summary", {})
        ok = s.get("visits_ok", 0)
        failed = s.get("visits_failed", 0)
        row["visits_ok"] = ok
        row["visits_failed"] = failed
        row["loadgen_cpu_pct_reported"] = rep.get("loadgen_cpu_pct")
        ff = s.get("first_frame_ms") or {}
        lat = s.get("latency_ms") or {}
        row["first_frame_p50_ms"] = ff.get("p50")
        row["first_frame_p95_ms"] = ff.get("p95")
        row["latency_p50_ms"] = lat.get("p50")
        row["latency_p95_ms"] = lat.get("p95")
        row["loss_pct"] = s.get("loss_pct")
        row["video_frames_min"] = s.get("video_frames_min")
        row["audio_packets_min"] = s.get("audio_packets_min")
        if proc and "server_cpu_pct" in row and ok:
            # CPU seconds per relayed stream-second
            row["cpu_per_stream"] = row["server_cpu_pct"] / 100.0 / (STREAMS_PER_VISIT * ok)
        why = []
        if load.returncode != 0:
            why.append("th-load exit %s" % load.returncode)
        if failed:
            why.append("%d visits failed" % failed)
        if busiest > 90:
            why.append("load generator thread %s at %.0f%% of a core" % (busiest_name, busiest))
        total = (row.get("loadgen_window_cpu_pct") or 0) + (row.get("server_cpu_pct") or 0)
        if total > 90 * NPROC:
            why.append("machine saturated (load %.0f%% + server %.0f%% of %d cores)" % (
                row.get("loadgen_window_cpu_pct") or 0, row.get("server_cpu_pct") or 0, NPROC))
        if not why:
            row["valid"] = "yes"
        row["why"] = "; ".join(why)
    log(tag, "done:", json.dumps({k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()}))
    return row


# --------------------------------------------------------- browser quality

def browser_once(server, rawdir):
    """One Chromium sender and one receiver through `server` (tests/bench/
    browser.mjs): the sender's bandwidth estimate, the receiver's decoded
    frame rate and size after BENCH_BROWSER_SECONDS."""
    seconds = int(os.environ.get("BENCH_BROWSER_SECONDS", "20"))
    workdir = tempfile.mkdtemp(prefix="%s-browser-" % server, dir=rawdir)
    out = os.path.join(workdir, "browser.json")
    row = {"N": "browser", "server": server, "valid": "no", "why": ""}
    janus = None
    try:
        if server == "janus":
            janus, url_args = start_janus(workdir)
            argv = ["janus", url_args[1]]
        else:
            # The script starts telehealthd itself, through tests/e2e/lib.mjs
            # (demo visit, sign-in and admission as the browser tests do).
            config = os.environ["TH_CONFIG"]
            if OUR_ENGINES[server]:
                config = engine_config(config, OUR_ENGINES[server], workdir)
            argv = ["ours", config]
        env = dict(os.environ, TH_SOURCE_ROOT=TOP)
        log("browser", server, "for", seconds, "s")
        with open(os.path.join(workdir, "browser.log"), "w") as lf:
            p = spawn(["node", os.path.join(HERE, "browser.mjs")] + argv + [str(seconds), out],
                      stdout=lf, stderr=subprocess.STDOUT, env=env)
            try:
                p.wait(seconds + 150)
            except subprocess.TimeoutExpired:
                log("browser", server, "still running after", seconds + 150, "s: stopping it")
                stop(p)
        with open(out) as f:
            rep = json.load(f)
        if rep.get("error"):
            row["why"] = "browser run: %s" % rep["error"].splitlines()[0]
        else:
            row["browser_bitrate_kbps"] = rep["bitrate_kbps"]
            row["browser_fps"] = rep["fps"]
            row["browser_width"] = rep["width"]
            row["browser_height"] = rep["height"]
            row["valid"] = "yes"
    except (OSError, ValueError, KeyError, RuntimeError) as e:
        row["why"] = row["why"] or "browser run: %s" % e
    finally:
        stop(janus)
    log("browser", server, "done:", json.dumps(row))
    return row


def browser_rows(servers, rawdir):
    """BENCH_BROWSER_RUNS runs per server, the servers taking turns, and the
    median of each figure: one run's bandwidth estimate swings between about
    0.9 and 4 Mbit/s on a busy 2-core machine, for every server (Chrome's
    estimator reacting to the machine, not to the relay)."""
    runs = max(1, int(os.environ.get("BENCH_BROWSER_RUNS", "3")))
    got = {s: [] for s in servers}
    for _ in range(runs):
        for s in servers:
            got[s].append(browser_once(s, rawdir))
    out = []
    for s in servers:
        ok = [r for r in got[s] if r["valid"] == "yes"]
        row = dict(ok[0] if ok else got[s][0])
        for k in ("browser_bitrate_kbps", "browser_fps"):
            if ok:
                row[k] = statistics.median(r[k] for r in ok)
            row[k + "_runs"] = " ".join("%.1f" % r[k] for r in ok)
        row["browser_runs"] = "%d of %d" % (len(ok), runs)
        out.append(row)
    return out


BROWSER_COLUMNS = [("browser_bitrate_kbps", "sender est. kbit/s", "{:.0f}"),
                   ("browser_fps", "receiver fps", "{:.1f}")]


def print_browser(rows, servers):
    by = {r["server"]: r for r in rows}
    print()
    print("Browser quality: a Chromium sender and a Chromium receiver through each server, after %s s"
          " (median of %s runs)" % (os.environ.get("BENCH_BROWSER_SECONDS", "20"),
                                    os.environ.get("BENCH_BROWSER_RUNS", "3")))
    heads = ["server"] + [h for _, h, _ in BROWSER_COLUMNS] + ["resolution", "valid"]
    cells = []
    for s in servers:
        if s not in by:
            continue
        r = by[s]
        res = "%dx%d" % (r["browser_width"], r["browser_height"]) if r.get("browser_width") else "-"
        cells.append([s] + [fmt(r, k, f) for k, _, f in BROWSER_COLUMNS] + [res, r["valid"]])
    for s in servers:
        if s in OUR_ENGINES and s in by and "janus" in by:
            cells.append(["%s/janus" % s] + [
                "-" if ratio(by[s].get(k), by["janus"].get(k)) is None else
                "{:.2f}x".format(ratio(by[s].get(k), by["janus"].get(k))) for k, _, _ in BROWSER_COLUMNS] +
                ["", "yes" if by[s]["valid"] == by["janus"]["valid"] == "yes" else "no"])
    widths = [max(len(h), *(len(c[i]) for c in cells)) if cells else len(h) for i, h in enumerate(heads)]
    print(" | ".join(h.rjust(w) for h, w in zip(heads, widths)))
    print("-+-".join("-" * w for w in widths))
    for c in cells:
        print(" | ".join(x.rjust(w) for x, w in zip(c, widths)))
    for s in servers:
        if s in by and by[s].get("browser_bitrate_kbps_runs"):
            print("  %s runs: %s kbit/s; %s fps" % (s, by[s]["browser_bitrate_kbps_runs"],
                                                    by[s]["browser_fps_runs"]))
        if s in by and by[s].get("why"):
            print("  browser %s: %s" % (s, by[s]["why"]))


def browser_ratio_rows(rows, servers):
    by = {r["server"]: r for r in rows}
    out = []
    for s in servers:
        if s in OUR_ENGINES and s in by and "janus" in by:
            r = {"N": "browser", "server": "%s/janus" % s, "ratio": True,
                 "valid": "yes" if by[s]["valid"] == by["janus"]["valid"] == "yes" else "no"}
            for k, _, _ in BROWSER_COLUMNS:
                r[k] = ratio(by[s].get(k), by["janus"].get(k))
            out.append(r)
    return out


# ------------------------------------------------------------------ report

COLUMNS = [
    ("N", "N", "{}"),
    ("server", "server", "{}"),
    ("cpu_per_stream", "CPU s/stream-s", "{:.5f}"),
    ("peak_rss_mib", "peak RSS MiB", "{:.1f}"),
    ("rss_per_visit_mib", "RSS/visit MiB", "{:.2f}"),
    ("threads", "threads", "{:.0f}"),
    ("threads_per_visit", "threads/visit", "{:.2f}"),
    ("ctxt_switches_per_packet", "cswitch/pkt", "{:.2f}"),
    ("first_frame_p50_ms", "1st frame p50", "{:.0f}"),
    ("first_frame_p95_ms", "1st frame p95", "{:.0f}"),
    ("added_latency_p50_ms", "added lat p50", "{:.1f}"),
    ("added_latency_p95_ms", "added lat p95", "{:.1f}"),
    ("loss_pct", "loss %", "{:.2f}"),
    ("loadgen_cpu_pct", "loadgen CPU %", "{:.0f}"),
    ("valid", "valid", "{}"),
]
EXTRA_CSV = ["server_cpu_pct", "idle_rss_mib", "hwm_mib", "idle_threads", "ctxt_switches_per_s", "packets_per_s", "latency_p50_ms", "latency_p95_ms", "visits_ok",
             "visits_failed", "video_frames_min", "audio_packets_min", "loadgen_busiest_thread_pct",
             "loadgen_busiest_thread", "loadgen_window_cpu_pct", "loadgen_cpu_pct_reported",
             "loadgen_threads", "window_s", "prepare_s", "browser_bitrate_kbps", "browser_fps", "browser_width",
             "browser_height", "browser_runs", "browser_bitrate_kbps_runs", "browser_fps_runs", "why"]


def fmt(row, key, f):
    v = row.get(key)
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    try:
        return f.format(v)
    except (ValueError, TypeError):
        return str(v)


def ratio(a, b):
    if a is None or b is None or isinstance(a, str) or isinstance(b, str):
        return None
    if b == 0 or math.isnan(a) or math.isnan(b):
        return None
    return a / b


def ratio_row(n, name, ours, janus):
    r = {"N": n, "server": "%s/janus" % name, "ratio": True}
    for key, _, _ in COLUMNS[2:-2]:
        r[key] = ratio(ours.get(key), janus.get(key))
    r["valid"] = "yes" if ours.get("valid") == "yes" and janus.get("valid") == "yes" else "no"
    return r


def print_table(rows):
    heads = [h for _, h, _ in COLUMNS]
    cells = []
    for r in rows:
        if r.get("ratio"):
            cells.append([str(r["N"]), r["server"]] + [
                ("-" if r.get(k) is None else "{:.2f}x".format(r[k])) for k, _, _ in COLUMNS[2:-2]] +
                ["-", r["valid"]])
        else:
            cells.append([fmt(r, k, f) for k, _, f in COLUMNS])
    widths = [max(len(h), *(len(c[i]) for c in cells)) if cells else len(h) for i, h in enumerate(heads)]
    line = " | ".join(h.rjust(w) for h, w in zip(heads, widths))
    print(line)
    print("-+-".join("-" * w for w in widths))
    for c in cells:
        print(" | ".join(x.rjust(w) for x, w in zip(c, widths)))


def write_csv(path, rows):
    keys = [k for k, _, _ in COLUMNS] + EXTRA_CSV
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(keys)
        for r in rows:
            out = []
            for k in keys:
                v = r.get(k)
                if v is None or (isinstance(v, float) and math.isnan(v)):
                    out.append("")
                elif isinstance(v, float):
                    out.append("%.6g" % v)
                else:
                    out.append(v)
            w.writerow(out)


# The PNG's panels: (row key, scale, y label).
PANELS = [
    ("cpu_per_stream", 1000, "server CPU ms per relayed stream-second"),
    ("threads_per_visit", 1, "server threads per visit"),
    ("ctxt_switches_per_packet", 1, "context switches per relayed packet"),
]


def plot(png, rows, title):
    data = {}
    for r in rows:
        if r["server"] in LABELS:
            data.setdefault(r["server"], []).append(r)
    if not any(r.get("cpu_per_stream") is not None for pts in data.values() for r in pts):
        log("nothing to plot")
        return False
    tmp = tempfile.mkdtemp(prefix="plot-")
    script = [
        "set terminal pngcairo size 900,1200 font 'sans,11'",
        "set output '%s'" % png,
        "set multiplot layout 3,1 title '%s'" % title.replace("'", ""),
        "set xlabel 'concurrent 1:1 visits (N)'",
        "set logscale x",
        "set xtics (1,5,10,20,25,50,100)",
        "set yrange [0:*]",
        "set grid",
        "set key top right",
    ]
    for key, scale, ylabel in PANELS:
        plots = []
        for name, pts in sorted(data.items(), reverse=True):
            fn = os.path.join(tmp, "%s-%s.dat" % (name, key))
            with open(fn, "w") as f:
                for r in sorted(pts, key=lambda r: r["N"]):
                    if r.get(key) is not None:
                        f.write("%d %.6f\n" % (r["N"], r[key] * scale))
            plots.append("'%s' using 1:2 with linespoints lw 2 pt 7 title '%s'" % (fn, LABELS[name]))
        script += ["set ylabel '%s'" % ylabel, "plot " + ", ".join(plots)]
    script.append("unset multiplot")
    try:
        subprocess.run(["gnuplot"], input="\n".join(script).encode(), check=True, timeout=60)
        return True
    except (OSError, subprocess.SubprocessError) as e:
        log("gnuplot failed:", e)
        return False


def machine():
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return "%d × %s, %s" % (NPROC, model, os.uname().release)


def main():
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGHUP, _on_signal)
    ns = [int(x) for x in env_list("BENCH_N", "1 5 10 25 50 100")]
    servers = env_list("BENCH_SERVERS", "ours janus")
    unknown = [x for x in servers if x not in SERVERS]
    if unknown:
        log("BENCH_SERVERS: unknown %s; the choices are %s" % (" ".join(unknown), " ".join(SERVERS)))
        return 2
    direct_mode = os.environ.get("BENCH_DIRECT", "each")  # each | once | none
    loss_stop = float(os.environ.get("BENCH_LOSS_STOP", "5"))
    outdir = os.environ.get("BENCH_OUT", os.path.join(HERE, "results"))
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    os.makedirs(outdir, exist_ok=True)
    rawdir = os.path.join(outdir, "bench-%s-raw" % stamp)
    os.makedirs(rawdir)
    csv_path = os.path.join(outdir, "bench-%s.csv" % stamp)
    png_path = os.path.join(outdir, "bench-%s.png" % stamp)

    log("machine:", machine())
    log("N:", ns, "servers:", servers, "direct:", direct_mode, "duration:", os.environ.get("BENCH_DURATION", "30"), "s")
    rows = []
    browser = []
    stopped = set()
    direct_ref = {}
    try:
        for n in ns:
            if direct_mode == "each" or (direct_mode == "once" and not direct_ref):
                d = run_one("direct", n, rawdir)
                rows.append(d)
                direct_ref[n] = d
            ref = direct_ref.get(n) or (next(iter(direct_ref.values())) if direct_ref else None)
            for server in servers:
                if server in stopped:
                    continue
                r = run_one(server, n, rawdir)
                if ref:
                    for q in ("p50", "p95"):
                        a, b = r.get("latency_%s_ms" % q), ref.get("latency_%s_ms" % q)
                        if a is not None and b is not None:
                            r["added_latency_%s_ms" % q] = a - b
                rows.append(r)
                loss = r.get("loss_pct")
                why = None
                if loss is None:
                    why = r.get("why") or "no result"
                elif loss > loss_stop:
                    why = "loss %.1f%% > %.1f%%" % (loss, loss_stop)
                elif not r.get("visits_ok"):
                    why = "no visit had media both ways"
                if why:
                    log(server, "stops at N=%d: %s" % (n, why))
                    stopped.add(server)
            if all(s in stopped for s in servers):
                break
        if os.environ.get("BENCH_BROWSER", "0") == "1":
            browser.extend(browser_rows(servers, rawdir))
    except KeyboardInterrupt as e:
        log("interrupted:", e)
    finally:
        stop_all()

    table = []
    for n in ns:
        by = {r["server"]: r for r in rows if r["N"] == n}
        for s in ["direct"] + servers:
            if s in by:
                table.append(by[s])
        for s in servers:
            if s in OUR_ENGINES and s in by and "janus" in by:
                table.append(ratio_row(n, s, by[s], by["janus"]))
    print()
    print("Machine: %s" % machine())
    print("Duration per row: %s s; bitrate %s kbit/s per video sender" % (
        os.environ.get("BENCH_DURATION", "30"), os.environ.get("BENCH_BITRATE", "1000")))
    print_table(table)
    for r in table:
        if r.get("why"):
            print("  N=%s %s: %s" % (r["N"], r["server"], r["why"]))
    if browser:
        print_browser(browser, servers)
    write_csv(csv_path, table + browser + browser_ratio_rows(browser, servers))
    ok = plot(png_path, rows, "Server cost per relayed stream and per visit, %s" % machine())
    print()
    print("CSV:  %s" % csv_path)
    if ok:
        print("Plot: %s" % png_path)
    print("Raw:  %s (th-load JSON and logs, server logs, per-second samples)" % rawdir)
    return 0 if rows else 1


if __name__ == "__main__":
    sys.exit(main())
