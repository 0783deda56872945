#!/usr/bin/env bash
# The Raspberry Pi (arm64) build: installs Debian's cross toolchain, qemu-user and the arm64
# -dev packages when missing (as root), builds with cmake/arm64.cmake into DIR (default
# build-arm64/), runs the unit and fuzz-replay tests and a smoke test of the daemon against the
# simulator under qemu-user, and builds the arm64 .deb from debian/ into DIR/deb/.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-build-arm64}
cd "$top"
case $dir in /*) ;; *) dir=$top/$dir ;; esac

PKGS=(crossbuild-essential-arm64 qemu-user-static dpkg-dev debhelper libmodbus-dev:arm64 libpaho-mqtt-dev:arm64
  libcurl4-openssl-dev:arm64 libsqlite3-dev:arm64 libfyaml-dev:arm64 libsodium-dev:arm64 libcsv-dev:arm64
  zlib1g-dev:arm64 libmicrohttpd-dev:arm64 libxlsxwriter-dev:arm64 libcmocka-dev:arm64)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "cross-arm64: missing packages: ${missing[*]} (run as root to install them)" >&2
    exit 1
  fi
  echo "cross-arm64: installing ${missing[*]}"
  dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

echo "=== arm64 cross build ($dir)"
cmake -S "$top" -B "$dir" -DCMAKE_TOOLCHAIN_FILE="$top/cmake/arm64.cmake" \
  -DCMAKE_INSTALL_PREFIX=/usr >/dev/null
cmake --build "$dir" -j "$(nproc)" -- --no-print-directory -s
qemu=$(sed -n 's/^GW_QEMU_AARCH64:FILEPATH=//p' "$dir/CMakeCache.txt")
file -b "$dir/fieldgate" | grep -q 'ARM aarch64' || { echo "not an arm64 binary" >&2; exit 1; }
"$qemu" "$dir/fieldgate" --version

echo "=== arm64 unit and fuzz-replay tests under $(basename "$qemu")"
cd "$dir"
ctest --output-on-failure -L 'unit|fuzz' -E '^test_journal(_powercut)?$' -j 2
# test_journal_powercut's 200 simulated power cuts take about a minute under qemu (20 s
# natively, most of it in fsync), past ctest's 60 s for a unit test: run on its own, up to 300 s.
t0=$(date +%s)
timeout 300 "$qemu" tests/test_journal_powercut >powercut.log 2>&1 || {
  cat powercut.log >&2; echo "test_journal_powercut under qemu failed" >&2; exit 1; }
echo "test_journal_powercut under qemu: passed in $(($(date +%s) - t0)) s"
# test_journal's second-handle case re-executes itself through /proc/self/exe, which under
# qemu-user is the emulator: every other case must pass, that one is expected to fail.
out=$("$qemu" tests/test_journal 2>&1) && rc=0 || rc=$?
failed=$(echo "$out" | sed -n 's/^\[  FAILED  \] \(test_[a-z_]*\)$/\1/p' | sort -u)
if [ "$failed" != "test_journal_second_handle_keeps_locks" ] && [ "$rc" -ne 0 -o -n "$failed" ]; then
  echo "$out" >&2
  echo "test_journal under qemu: unexpected failures: ${failed:-exit $rc}" >&2
  exit 1
fi
echo "test_journal under qemu: passed $(echo "$out" | sed -n 's/^\[  PASSED  \] //p')" \
  "(second_handle_keeps_locks needs a native exec)"

echo "=== arm64 smoke test under qemu: the simulator on loopback, run --once against it"
smoke=$(mktemp -d)
sim_pid=
trap '[ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null; rm -rf "$smoke"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$smoke/gateway.yaml" <<YAML
gateway: {id: pi-smoke, township: t, data_dir: $smoke/data}
buses: [{name: tcp1, type: tcp, host: 127.0.0.1, port: $port}]
sensors:
  - {id: s1, bus: tcp1, unit: 1, profile: seeed-s-soil-mtec-02, interval_s: 5}
  - {id: s2, bus: tcp1, unit: 2, profile: dfrobot-sen0601, interval_s: 5}
YAML
export FIELDGATE_PROFILES=$top/drivers/profiles FIELDGATE_ASSUME_SYNCED=1
"$qemu" ./fieldgate sim -c "$smoke/gateway.yaml" >"$smoke/sim.out" 2>&1 &
sim_pid=$!
for _ in $(seq 100); do grep -q "sim: ready" "$smoke/sim.out" && break; sleep 0.1; done
timeout 60 "$qemu" ./fieldgate run -c "$smoke/gateway.yaml" --once --output stdout >"$smoke/once" 2>"$smoke/err" || {
  cat "$smoke/sim.out" "$smoke/err" >&2; exit 1; }
n=$(grep -c '"gateway":"pi-smoke".*"quality":{[^}]*"good"' "$smoke/once" || true)
[ "$n" -eq 2 ] || { echo "want 2 good readings, got: $(cat "$smoke/once" "$smoke/err")" >&2; exit 1; }
echo "2 readings polled and journaled by the arm64 binary"
kill "$sim_pid" && wait "$sim_pid" 2>/dev/null || true
sim_pid=

echo "=== arm64 package (dpkg-buildpackage -a arm64, from debian/ as the native one)"
pkg=$dir/deb
rm -rf "$pkg"
mkdir -p "$pkg/src"
if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then  # the tree without build dirs
  (cd "$top" && git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -P -t "$pkg/src")
else
  tar -C "$top" --exclude='./build*' --exclude='./obj-*' -cf - . | tar -C "$pkg/src" -xf -
fi
(cd "$pkg/src" && DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -a arm64 -b -us -uc -d -j"$(nproc)") \
  >"$pkg/build.log" 2>&1 || { tail -40 "$pkg/build.log" >&2; exit 1; }
rm -rf "$pkg/src"
dpkg-deb -f "$pkg"/fieldgate_*_arm64.deb Package Version Architecture Depends
echo "cross-arm64: $(ls "$pkg"/fieldgate_*_arm64.deb)"
