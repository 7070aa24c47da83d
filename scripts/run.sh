#!/bin/sh
# Installs what is missing, builds, and runs telehealthd with the default
# config and a demo visit. Extra arguments go to telehealthd.
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
[ -d build ] || meson setup build --buildtype=debugoptimized
ninja -C build
exec ./build/server/telehealthd --config config/telehealth.conf --demo "$@"
