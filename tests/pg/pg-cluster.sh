#!/bin/sh
# A throwaway PostgreSQL 15 for the tests (issue 18), never a system service:
#   pg-cluster.sh start DIR   initdb into DIR (empty or absent) and start it
#   pg-cluster.sh stop DIR    stop it (DIR stays: the caller removes it)
# It listens on a Unix socket in DIR only (listen_addresses=''), so it works
# inside a test's network namespace and is reachable from nowhere else; trust
# authentication, so the tests connect with 'host=DIR user=postgres'.
# initdb and postgres refuse to run as root, and CI runs as root: then both
# run as the package's `postgres` user, which owns DIR; root still connects
# through the socket (trust, -U postgres).
set -eu

usage() {
  echo "usage: $0 start|stop DIR" >&2
  exit 2
}
[ $# -eq 2 ] || usage
cmd=$1
dir=$2
# Absolute: the cluster's commands run from / (as_owner).
case $dir in /*) ;; *) dir=$PWD/$dir ;; esac

# Debian's binaries live here and are not on PATH; PG_BIN may point elsewhere.
bin=${PG_BIN:-/usr/lib/postgresql/15/bin}
if [ ! -x "$bin/initdb" ] || [ ! -x "$bin/pg_ctl" ]; then
  echo "pg-cluster: no PostgreSQL 15 server binaries in $bin (Debian: apt install postgresql)" >&2
  exit 77
fi

# Runs a command as the cluster's owner: ourselves unless we are root.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    # From /: the postgres user may not enter the caller's directory (root's
    # home), and pg_ctl says so on every start and stop.
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

case "$cmd" in
start)
  mkdir -p "$dir"
  if [ "$(id -u)" -eq 0 ]; then
    if ! id postgres >/dev/null 2>&1; then
      echo "pg-cluster: running as root needs the 'postgres' user (Debian's postgresql package)" >&2
      exit 77
    fi
    chown postgres: "$dir"
  fi
  # The data directory must be 0700 and owned by the server's user.
  chmod 700 "$dir"
  as_owner "$bin/initdb" -D "$dir/data" -E UTF8 --locale=C --auth=trust -U postgres \
    --no-instructions >"$dir/initdb.log" 2>&1 || {
    cat "$dir/initdb.log" >&2
    exit 1
  }
  # No TCP at all; the socket (and its lock file) in DIR; fsync off: a test
  # cluster is thrown away, never recovered. -w -t 30: a bounded wait.
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
    -o "-c listen_addresses='' -c unix_socket_directories='$dir' -c fsync=off \
        -c synchronous_commit=off -c full_page_writes=off" start >/dev/null || {
    cat "$dir/server.log" >&2
    exit 1
  }
  ;;
stop)
  [ -f "$dir/data/postmaster.pid" ] || exit 0
  # fast: disconnect whoever is still connected; a bounded wait, then immediate.
  as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null ||
    as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w -t 10 stop >/dev/null
  ;;
*)
  usage
  ;;
esac
