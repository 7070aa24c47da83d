#!/usr/bin/env python3
"""Integration (issue 17 item 1): the Debian package, built, checked,
installed into a throwaway root and used for a real browser visit.

1. A copy of the source tree (no build folders, no node_modules) is built
   with `dpkg-buildpackage -us -uc -b`, as a packager would on Debian 12.
2. `lintian` reports no error on the .deb (its warnings are printed).
3. The .deb holds what an admin is promised: the binary, the web client and
   the clinical tables under /usr/share/telehealthd, the config as a
   conffile under /etc/telehealthd, the three systemd units, and Depends
   naming the libraries (shlibs) and the GStreamer plugin packages.
4. `dpkg -i` in a throwaway root: an overlay whose lower layer is this
   machine's / (read-only to us: every change lands in a tmpfs), in a private
   mount namespace, entered with chroot. The maintainer scripts run for
   real: the system user exists, /var/lib/telehealthd is 0700 and its own,
   the config is 0640 root:telehealthd, the service is enabled and the
   backup timer is not; the README's first `admin add-staff`, run as that
   user with the installed config, makes the account in that folder.
5. The browser visit test (tests/e2e/visit.test.mjs, two real Chromiums)
   runs against the installed /usr/bin/telehealthd, started in that root as
   the system user, from the installed config (a copy with the test's
   listen port and TLS, made by the test's helper) and with the web client
   and catalogs from the installed paths compiled into the packaged build.

6. The root booted with systemd as PID 1 (systemd-nspawn, only `lo`): the
   service comes up (Type=notify), answers, runs as its user with no
   capabilities, a seccomp filter and no new privileges; with [metrics]
   listen set, GET /metrics reads its process figures in that sandbox; reload keeps the
   process; its records are in the journal with their fields; the backup
   service writes a copy; stop ends it cleanly within TimeoutStopSec.

Steps 1-3 run anywhere; 4-5 need root and a private mount namespace (a
chroot's "/" is no mount point and cannot give one: there the test says so
after step 3 and exits 77, as after step 5 where nspawn cannot boot). Runs in a loopback-only network namespace
(tests/netns-run.sh); every step is bounded in time."""
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time

import th_process

ROOT = os.environ["TH_SOURCE_ROOT"]
NODE = os.environ.get("TH_NODE", "node")
SKIPPED = ("build", "builddir", "node_modules", ".git", "data", "debian/telehealthd",
           "debian/.debhelper", "debian/files")


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    print("ok -", what, flush=True)


def run(cmd, timeout, **kw):
    print("+", " ".join(cmd), flush=True)
    return subprocess.run(cmd, timeout=timeout, check=True, **kw)


def copy_tree(dest):
    """The source tree as a clean clone would have it: no build output."""
    def ignore(folder, names):
        rel = os.path.relpath(folder, ROOT)
        out = []
        for n in names:
            p = n if rel == "." else os.path.join(rel, n)
            if (p in SKIPPED or n == "node_modules" or (rel == "." and
                    (n.startswith("build") or n.startswith("obj-")))):
                out.append(n)
        return out
    shutil.copytree(ROOT, dest, ignore=ignore, symlinks=True)


def build(work):
    src = os.path.join(work, "telehealthd-src")
    copy_tree(src)
    env = dict(os.environ, DEB_BUILD_OPTIONS="parallel=%d" % (os.cpu_count() or 2))
    run(["dpkg-buildpackage", "-us", "-uc", "-b"], timeout=900, cwd=src, env=env,
        stdout=subprocess.DEVNULL)
    debs = [f for f in os.listdir(work) if f.startswith("telehealthd_") and f.endswith(".deb")]
    check(len(debs) == 1, "dpkg-buildpackage -us -uc -b made telehealthd_*.deb")
    return os.path.join(work, debs[0])


def lint(deb):
    res = subprocess.run(["lintian", "--fail-on", "error", "--no-tag-display-limit", deb],
                         capture_output=True, text=True, timeout=300)
    print(res.stdout + res.stderr, flush=True)
    errors = [line for line in res.stdout.splitlines() if line.startswith("E:")]
    check(res.returncode == 0 and not errors, "lintian: no error on the .deb")


def contents(deb):
    listing = subprocess.run(["dpkg-deb", "-c", deb], capture_output=True, text=True,
                             timeout=60, check=True).stdout
    paths = {line.split()[-1].lstrip(".") for line in listing.splitlines()}
    for p in ("/usr/bin/telehealthd", "/usr/share/telehealthd/web/index.html",
              "/usr/share/telehealthd/web/provider.html", "/usr/share/telehealthd/medications.json",
              "/usr/share/telehealthd/interactions.json", "/usr/share/telehealthd/monitoring.json",
              "/etc/telehealthd/telehealth.conf", "/lib/systemd/system/telehealthd.service",
              "/lib/systemd/system/telehealthd-backup.service",
              "/lib/systemd/system/telehealthd-backup.timer",
              "/usr/share/doc/telehealthd/copyright", "/usr/share/man/man8/telehealthd.8.gz"):
        check(p in paths, "the package holds " + p)
    with tempfile.TemporaryDirectory() as ctl:
        subprocess.run(["dpkg-deb", "-e", deb, ctl], check=True, timeout=60)
        with open(os.path.join(ctl, "conffiles")) as f:
            check("/etc/telehealthd/telehealth.conf" in f.read().split(),
                  "the config is a conffile (an admin's edits survive an upgrade)")
    depends = subprocess.run(["dpkg-deb", "-f", deb, "Depends"], capture_output=True,
                             text=True, timeout=60, check=True).stdout
    for dep in ("libc6", "libglib2.0-0", "libgstreamer1.0-0", "libwebsockets17", "libsqlite3-0",
                "gstreamer1.0-plugins-good", "gstreamer1.0-plugins-bad", "gstreamer1.0-nice",
                "libwebsockets-evlib-glib", "adduser"):
        check(dep in depends, "Depends names " + dep)


def throwaway_root(work):
    """An overlay of this machine's / with a tmpfs on top, at work/root."""
    layers = os.path.join(work, "layers")
    os.makedirs(layers)
    run(["mount", "-t", "tmpfs", "-o", "mode=0755", "layers", layers], timeout=30)
    for d in ("upper", "work", "root"):
        os.makedirs(os.path.join(layers, d))
    root = os.path.join(layers, "root")
    run(["mount", "-t", "overlay", "overlay", "-o",
         "lowerdir=/,upperdir=%s/upper,workdir=%s/work" % (layers, layers), root], timeout=30)
    run(["mount", "--rbind", "/dev", root + "/dev"], timeout=30)
    run(["mount", "-t", "proc", "proc", root + "/proc"], timeout=30)
    run(["mount", "--bind", "/sys", root + "/sys"], timeout=30)
    # A fresh /run: no systemd is running in the root, so the package's
    # scripts enable the service without trying to start it.
    run(["mount", "-t", "tmpfs", "run", root + "/run"], timeout=30)
    # The test helper's config copy and data folder are made under /tmp.
    run(["mount", "--bind", "/tmp", root + "/tmp"], timeout=30)
    return root


def install(root, deb):
    shutil.copy(deb, os.path.join(root, "root", "telehealthd.deb"))
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    run(["chroot", root, "dpkg", "-i", "/root/telehealthd.deb"], timeout=300, env=env)
    status = subprocess.run(["chroot", root, "dpkg-query", "-W", "-f", "${Status}", "telehealthd"],
                            capture_output=True, text=True, timeout=60).stdout
    check(status == "install ok installed", "dpkg -i installed the package (%s)" % status)
    pw = {}
    with open(os.path.join(root, "etc", "passwd")) as f:
        for line in f:
            parts = line.strip().split(":")
            pw[parts[0]] = parts
    check("telehealthd" in pw, "the postinst made the system user telehealthd")
    user = pw["telehealthd"]
    uid, gid = int(user[2]), int(user[3])
    check(uid < 1000 and user[6] in ("/usr/sbin/nologin", "/bin/false"),
          "a system user without a login shell (%s)" % user[6])
    st = os.stat(os.path.join(root, "var", "lib", "telehealthd"))
    check(stat.S_IMODE(st.st_mode) == 0o700 and st.st_uid == uid,
          "/var/lib/telehealthd is 0700 and the service user's")
    st = os.stat(os.path.join(root, "etc", "telehealthd", "telehealth.conf"))
    check(stat.S_IMODE(st.st_mode) == 0o640 and st.st_uid == 0 and st.st_gid == gid,
          "the config is 0640 root:telehealthd (it may hold the mail password)")
    with open(os.path.join(root, "etc", "telehealthd", "telehealth.conf")) as f:
        check("\ndata_dir = /var/lib/telehealthd\n" in f.read(),
              "the installed config keeps its database in /var/lib/telehealthd")
    wants = os.path.join(root, "etc", "systemd", "system")
    check(os.path.islink(os.path.join(wants, "multi-user.target.wants", "telehealthd.service")),
          "the service is enabled at installation")
    check(not os.path.exists(os.path.join(wants, "timers.target.wants",
                                          "telehealthd-backup.timer")),
          "the backup timer is shipped off")
    return uid, gid


def first_account(root, uid):
    """The README's first command after installing, word for word."""
    res = subprocess.run(["chroot", root, "runuser", "-u", "telehealthd", "--", "telehealthd",
                          "--config", "/etc/telehealthd/telehealth.conf", "admin", "add-staff",
                          "--username", "dr.lee", "--name", "Dr. Lee", "--role", "psychiatrist"],
                         capture_output=True, text=True, timeout=120)
    print(res.stderr, flush=True)
    line = json.loads(res.stdout.strip().splitlines()[-1]) if res.returncode == 0 else {}
    check(line.get("username") == "dr.lee" and len(line.get("password", "")) >= 12,
          "admin add-staff as the service's user prints the first account's password")
    db = os.path.join(root, "var", "lib", "telehealthd", "telehealth.db")
    check(os.path.exists(db) and os.stat(db).st_uid == uid,
          "the database is in /var/lib/telehealthd and the service user's")


def visit(root, uid, gid, work):
    """The browser visit test against the installed binary, run as the
    service's user inside the root."""
    wrapper = os.path.join(work, "installed-telehealthd")
    with open(wrapper, "w") as f:
        f.write("""#!/bin/sh
# The installed telehealthd in the throwaway root, as its system user. The
# test helper's config copy and data folder (under /tmp) become that user's.
prev=
for a in "$@"; do
  case "$prev" in
    --data-dir) chown -R %(uid)d:%(gid)d "$a" ;;
    --config) chown -R %(uid)d:%(gid)d "$(dirname "$a")" ;;
  esac
  prev=$a
done
exec chroot --userspec=%(uid)d:%(gid)d %(root)s /usr/bin/telehealthd "$@"
""" % {"uid": uid, "gid": gid, "root": root})
    os.chmod(wrapper, 0o755)
    env = dict(os.environ, TELEHEALTHD=wrapper, TH_TEST_CLOCK="0",
               TH_CONFIG=os.path.join(root, "etc", "telehealthd", "telehealth.conf"))
    env.pop("TH_MEDIA_ENGINE", None)
    res = subprocess.run([NODE, "--test", "--test-reporter=spec",
                          os.path.join(ROOT, "tests", "e2e", "visit.test.mjs")],
                         env=env, timeout=400)
    check(res.returncode == 0, "the browser visit test passes against the installed package")


def main():
    work = tempfile.mkdtemp(prefix="th-package-")
    try:
        deb = build(work)
        lint(deb)
        contents(deb)
        if os.environ.get("TH_PACKAGE_TEST_NS") != "1":
            probe = subprocess.run(["unshare", "--mount", "--propagation", "private", "true"],
                                   capture_output=True, text=True, timeout=30)
            if os.geteuid() != 0 or probe.returncode != 0:
                print("skipped: the package is built and lintian-clean, but it cannot be "
                      "installed into a throwaway root here (root and a private mount namespace "
                      "are needed: %s)" % (probe.stderr.strip() or "not root"), flush=True)
                sys.exit(77)
            env = dict(os.environ, TH_PACKAGE_TEST_NS="1", TH_PACKAGE_DEB=deb,
                       TH_PACKAGE_WORK=work)
            res = subprocess.run(["unshare", "--mount", "--propagation", "private",
                                  sys.executable, os.path.abspath(__file__)], env=env,
                                 timeout=900)
            sys.exit(res.returncode)
    finally:
        # Only once the namespace's process has exited: its mounts (the
        # root's /tmp is this machine's /tmp) are gone with it, and only
        # empty folders are left here.
        shutil.rmtree(work, ignore_errors=True)


class NoBoot(Exception):
    """systemd-nspawn could not boot the root on this machine."""


def in_container(leader, *cmd, timeout=60):
    """A command inside the booted container (all its namespaces)."""
    return subprocess.run(["nsenter", "-t", str(leader), "-a", *cmd], capture_output=True,
                          text=True, timeout=timeout)


def wait_active(leader, unit, seconds):
    deadline = time.monotonic() + seconds
    state = ""
    while time.monotonic() < deadline:
        state = in_container(leader, "systemctl", "is-active", unit).stdout.strip()
        if state in ("active", "failed"):
            break
        time.sleep(0.5)
    return state


def boot(root):
    """The root booted with systemd as PID 1 (systemd-nspawn, only `lo`),
    to a target that wants nothing but the package's service."""
    for d in ("tmp", "run", "sys", "proc"):
        run(["umount", os.path.join(root, d)], timeout=30)
    run(["umount", "-R", os.path.join(root, "dev")], timeout=30)
    # A machine id of its own (nspawn refuses the host's for the journal).
    with open(os.path.join(root, "etc", "machine-id"), "w") as f:
        f.write(os.urandom(16).hex() + "\n")
    # The admin's one edit to have numbers for their monitoring.
    conf = os.path.join(root, "etc", "telehealthd", "telehealth.conf")
    with open(conf) as f:
        text = f.read()
    check("\n[metrics]\n" in text and "\nlisten =\n" in text.split("\n[metrics]\n", 1)[1],
          "the installed config has [metrics] listen, empty (off)")
    head, tail = text.split("\n[metrics]\n", 1)
    with open(conf, "w") as f:
        f.write(head + "\n[metrics]\n" + tail.replace("\nlisten =\n", "\nlisten = 127.0.0.1:9464\n", 1))
    with open(os.path.join(root, "etc", "systemd", "system", "th-test.target"), "w") as f:
        f.write("[Unit]\nDescription=The package test's boot\nRequires=basic.target\n"
                "Wants=telehealthd.service\nAfter=basic.target\nAllowIsolate=yes\n")
    log = open(os.path.join(os.path.dirname(root), "boot.log"), "w")
    nspawn = subprocess.Popen(["systemd-nspawn", "--quiet", "-D", root, "--boot",
                               "--private-network", "--register=no", "--keep-unit",
                               "--link-journal=no", "--console=pipe",
                               "systemd.unit=th-test.target"],
                              stdout=log, stderr=subprocess.STDOUT)
    leader = None
    deadline = time.monotonic() + 30
    while leader is None and time.monotonic() < deadline:
        kids = subprocess.run(["pgrep", "-P", str(nspawn.pid)], capture_output=True,
                              text=True).stdout.split()
        leader = int(kids[0]) if kids else None
        time.sleep(0.2)
    # A container that never comes up says nothing of the package (a
    # machine without the cgroups nspawn needs): that part is then not
    # tried, and the test says so. A unit that fails is a failure.
    booted = ""
    while leader is not None and time.monotonic() < deadline + 30 and not booted:
        booted = in_container(leader, "systemctl", "is-system-running").stdout.strip()
        booted = "" if booted in ("", "offline", "unknown") else booted
        time.sleep(0.5)
    if not booted:
        nspawn.kill()
        nspawn.wait()
        log.close()
        with open(log.name) as f:
            raise NoBoot(f.read()[-2000:])
    check(True, "systemd-nspawn booted the installed root (%s)" % booted)
    return nspawn, leader


def healthz(leader):
    probe = ("import urllib.request,json;"
             "print(json.load(urllib.request.urlopen('http://127.0.0.1:8080/healthz',"
             "timeout=5))['status'])")
    return in_container(leader, "python3", "-c", probe).stdout.strip()


def under_systemd(root, uid):
    """The installed unit under a real systemd: Type=notify readiness, its
    user, the journal's fields, reload, the backup service, a stop in time."""
    nspawn, leader = boot(root)
    try:
        check(wait_active(leader, "telehealthd.service", 60) == "active",
              "systemd starts telehealthd.service (Type=notify: READY=1 came)")
        check(healthz(leader) == "ok", "the service answers /healthz on 127.0.0.1:8080")
        pid = in_container(leader, "systemctl", "show", "-P", "MainPID",
                           "telehealthd.service").stdout.strip()
        status = in_container(leader, "cat", "/proc/%s/status" % pid).stdout
        uids = [line.split()[1:] for line in status.splitlines() if line.startswith("Uid:")]
        check(uids and all(int(u) == uid for u in uids[0]),
              "it runs as the telehealthd user")
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        check(fields.get("NoNewPrivs", "").strip() == "1" and
              fields.get("Seccomp", "").strip() == "2" and
              int(fields.get("CapEff", "1").strip(), 16) == 0 and
              int(fields.get("CapBnd", "1").strip(), 16) == 0,
              "confined as the unit says: no new privileges, a seccomp filter, no capabilities")
        metrics = in_container(leader, "python3", "-c",
                               "import urllib.request,sys;sys.stdout.write(urllib.request.urlopen("
                               "'http://127.0.0.1:9464/metrics',timeout=5).read().decode())").stdout
        values = {}
        for line in metrics.splitlines():
            if line and not line.startswith("#") and " " in line:
                name, value = line.rsplit(" ", 1)
                values[name] = float(value)
        lint = subprocess.run(["promtool", "check", "metrics"], input=metrics, text=True,
                              capture_output=True, timeout=60)
        check(values.get("process_resident_memory_bytes", 0) > 0 and
              values.get("process_threads", 0) >= 1 and
              values.get("process_open_fds", 0) > 0 and
              "telehealthd_participants" in values and lint.returncode == 0 and
              not (lint.stdout + lint.stderr).strip(),
              "GET /metrics under the unit's sandbox: process figures read, promtool accepts it")
        res = in_container(leader, "systemctl", "reload", "telehealthd.service")
        same = in_container(leader, "systemctl", "show", "-P", "MainPID",
                            "telehealthd.service").stdout.strip()
        check(res.returncode == 0 and same == pid and healthz(leader) == "ok",
              "systemctl reload: the same process goes on serving")
        journal = in_container(leader, "journalctl", "-u", "telehealthd.service", "-o", "json",
                               "--no-pager").stdout
        records = [json.loads(line) for line in journal.splitlines() if line.startswith("{")]
        check(any(r.get("MESSAGE") == "told systemd: ready" and r.get("GLIB_DOMAIN")
                  for r in records),
              "its records reach the journal with their fields (GLIB_DOMAIN)")
        res = in_container(leader, "systemctl", "start", "telehealthd-backup.service", timeout=120)
        backups = os.path.join(root, "var", "lib", "telehealthd", "backups")
        made = [f for f in os.listdir(backups)] if os.path.isdir(backups) else []
        check(res.returncode == 0 and len(made) == 1 and made[0].endswith(".db"),
              "the backup service writes a checked copy into /var/lib/telehealthd/backups")
        t0 = time.monotonic()
        res = in_container(leader, "systemctl", "stop", "telehealthd.service", timeout=30)
        took = time.monotonic() - t0
        result = in_container(leader, "systemctl", "show", "-P", "Result",
                              "telehealthd.service").stdout.strip()
        check(res.returncode == 0 and took < 10 and result == "success",
              "systemctl stop: a clean exit in %.1f s (TimeoutStopSec=10s)" % took)
    finally:
        th_process.stop(nspawn, 30)


def main_in_namespace():
    deb = os.environ["TH_PACKAGE_DEB"]
    # Inside the outer run's folder, which it removes after this process
    # (never this one: its root holds binds of /tmp and /dev).
    work = os.environ["TH_PACKAGE_WORK"]
    root = throwaway_root(work)
    uid, gid = install(root, deb)
    first_account(root, uid)
    visit(root, uid, gid, work)
    try:
        under_systemd(root, uid)
    except NoBoot as e:
        print("skipped: all of the above passed, but systemd-nspawn could not boot the "
              "installed root here, so the unit was not tried under systemd:\n%s" % e, flush=True)
        sys.exit(77)


if __name__ == "__main__":
    if os.environ.get("TH_PACKAGE_TEST_NS") == "1":
        main_in_namespace()
    else:
        main()
