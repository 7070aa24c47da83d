#!/bin/sh
# build.sh OUTDIR — builds the libFuzzer targets with clang straight from the
# sources each one needs (meson builds the rest with gcc, which has no
# -fsanitize=fuzzer). Needs Debian's clang and libclang-rt-14-dev.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${1:-"$root/build-fuzz"}
CC=${CC:-clang}

if ! command -v "$CC" >/dev/null 2>&1; then
  echo "fuzz: $CC not found; install the Debian packages clang and libclang-rt-14-dev" >&2
  exit 1
fi
# libFuzzer's runtime comes in a separate package.
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n);\n%s\n' \
  'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n){(void)d;(void)n;return 0;}' \
  > "$probe/p.c"
if ! "$CC" -fsanitize=fuzzer "$probe/p.c" -o "$probe/p" >/dev/null 2>&1; then
  echo "fuzz: $CC cannot link -fsanitize=fuzzer; install the Debian package libclang-rt-14-dev" >&2
  exit 1
fi

mkdir -p "$out"
flags="-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -g -O1 -std=c11
  -Wall -Wextra -Wno-missing-field-initializers -D_GNU_SOURCE -DG_LOG_USE_STRUCTURED=1 -DGST_USE_UNSTABLE_API -I$root"
deps_gst="glib-2.0 gstreamer-1.0 gstreamer-sdp-1.0 gstreamer-webrtc-1.0"

build () {
  name=$1; pkgs=$2; shift 2
  # shellcheck disable=SC2046,SC2086
  "$CC" $flags $(pkg-config --cflags $pkgs $deps_gst) "$here/$name.c" "$@" \
    $(pkg-config --libs $pkgs) -o "$out/$name"
  echo "fuzz: built $out/$name"
}

build fuzz_signaling "glib-2.0 jansson" "$root/signaling/protocol.c"
build fuzz_rest_bodies "glib-2.0 jansson" "$root/server/api/bodies.c" "$root/server/api/bodies_patient.c" \
  "$root/server/api/bodies_schedule.c" \
  "$root/server/api/bodies_followup.c" "$root/server/api/bodies_safety.c" \
  "$root/server/api/bodies_labs.c" "$root/server/records/observations.c" \
  "$root/server/api/bodies_diary.c" "$root/server/api/bodies_dispense.c" \
  "$root/server/api/bodies_reproductive.c" "$root/server/api/bodies_other_meds.c" \
  "$root/server/api/bodies_problems.c" \
  "$root"/server/records/rx_*.c \
  "$root/server/records/regions.c" \
  "$root/server/records/scales.c" "$root/server/records/catalog.c" "$root/server/records/adjustment.c" \
  "$root/server/records/catalog_rx.c" "$root/server/records/reproductive.c" \
  "$root/server/records/dosing.c" "$root/server/clock/clock.c" -lm
build fuzz_routes "glib-2.0" "$root/server/api/routes.c"
build fuzz_sdp "glib-2.0 gstreamer-1.0 gstreamer-sdp-1.0 nice" "$root/media/sdp_check.c" \
  "$root/media/layout.c" "$root/media/lean_sdp.c"
build fuzz_rtcp "glib-2.0 nice" "$root/media/lean_rtcp.c" "$root/media/lean_twcc.c" \
  "$root/media/lean_rtpstats.c"
