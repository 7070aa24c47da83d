#!/bin/sh
# Runs a command inside a fresh network namespace that has only `lo`, so a
# test can never send traffic anywhere but loopback. Needs root (CI is root).
set -eu
exec unshare --net -- sh -c 'ip link set lo up && exec "$@"' netns-run "$@"
