#!/bin/sh
# Installs what building, running and testing telehealthd needs on Debian 12,
# only when something is missing. Run as root (or with sudo available).
set -eu
cd "$(dirname "$0")/.."

APT_PACKAGES="meson ninja-build pkg-config gcc libc6-dev
  libglib2.0-dev libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libgstreamer-plugins-bad1.0-dev
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-nice
  libnice-dev libsrtp2-dev libwebsockets-dev libwebsockets-evlib-glib libsqlite3-dev libssl-dev libjansson-dev
  libcurl4-openssl-dev libical-dev libsystemd-dev libpq-dev
  iproute2 util-linux ca-certificates"
# What only the tests need: a real browser and Node.js for the browser tests;
# clang and libFuzzer's runtime for the fuzz targets (tests/fuzz); nftables to
# make loopback lose UDP packets inside a test's own namespace; coturn's
# turnserver for the TURN test (tests/e2e/turn.test.mjs); python3 for the
# architecture check and the store-fault test (its sqlite3 module), and
# sqlite3's shell to hold the write lock from another process (signin-load);
# a real SMTP server (aiosmtpd) and an iCalendar parser to read what the
# outbox sends (tests/integration/notify*); prometheus for promtool, which
# checks what GET /metrics serves (tests/*/metrics.test.mjs, test_metrics);
# debhelper, dpkg-dev and lintian to build and check the Debian package,
# adduser for its postinst in the throwaway root it is installed into, and
# systemd-nspawn (systemd-container) to boot that root with systemd
# (tests/integration/package_test.py); PostgreSQL 15's server, which the
# tests start themselves in a temporary folder (tests/pg/pg-cluster.sh: the
# pg-schema test, and the PostgreSQL pass of scripts/test.sh).
TEST_PACKAGES="chromium nodejs npm clang libclang-rt-14-dev coturn nftables python3 sqlite3 systemd
  python3-aiosmtpd python3-icalendar prometheus debhelper dpkg-dev lintian adduser systemd-container
  postgresql"

want="$APT_PACKAGES"
[ "${1:-}" = "--test" ] && want="$want $TEST_PACKAGES"

missing=""
for p in $want; do
  # node and npm may come from elsewhere (e.g. nodesource); accept them on PATH.
  case "$p" in
    nodejs) command -v node >/dev/null 2>&1 && continue ;;
    npm) command -v npm >/dev/null 2>&1 && continue ;;
  esac
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
if [ -n "$missing" ]; then
  echo "Installing:$missing"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
  # Under systemd the coturn package enables and starts coturn.service with the
  # stock /etc/turnserver.conf (TURNSERVER_ENABLED in /etc/default/coturn only
  # governs the SysV script, off by default). The test runs a turnserver of its
  # own inside a private network namespace and never uses it: when this script
  # installed coturn, stop and disable that service again.
  case " $missing " in
    *" coturn "*)
      if [ -d /run/systemd/system ]; then
        $SUDO systemctl disable --now coturn.service >/dev/null 2>&1 || true
      fi ;;
  esac
  # Likewise the prometheus package starts a Prometheus server (port 9090,
  # scraping itself and keeping a database); the tests want only promtool.
  case " $missing " in
    *" prometheus "*)
      if [ -d /run/systemd/system ]; then
        $SUDO systemctl disable --now prometheus.service >/dev/null 2>&1 || true
      fi ;;
  esac
  # And the postgresql package creates and starts a cluster of its own
  # (15/main on port 5432); the tests want only the server's binaries and run
  # their own clusters on a Unix socket in a temporary folder.
  case " $missing " in
    *" postgresql "*)
      if [ -d /run/systemd/system ]; then
        $SUDO systemctl disable --now postgresql.service >/dev/null 2>&1 || true
      else
        $SUDO pg_ctlcluster 15 main stop >/dev/null 2>&1 || true
      fi ;;
  esac
fi

if [ "${1:-}" = "--test" ]; then
  # playwright-core drives Debian's chromium; it never downloads a browser.
  if [ ! -d tests/node_modules/playwright-core ] || [ ! -d tests/node_modules/ws ] ||
     [ tests/package-lock.json -nt tests/node_modules/.package-lock.json ]; then
    (cd tests && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
