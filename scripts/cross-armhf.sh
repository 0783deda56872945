#!/usr/bin/env bash
# The older Raspberry Pis (32-bit Raspberry Pi OS / Debian armhf): installs Debian's cross
# toolchain, qemu-user and the armhf -dev packages when missing (as root), builds with
# cmake/armhf.cmake into DIR (default build-armhf/) with 64-bit time_t and off_t, runs the unit
# and fuzz-replay tests under qemu-user, builds the armhf .deb from debian/ (dpkg-buildpackage
# -a armhf) into DIR/deb/, checks that the binaries call only glibc's 64-bit time functions, and
# runs two smoke tests of the daemon against the simulator under qemu-user (one at a simulated
# time after 2038).
#   ARMHF_TESTS=smoke: no cmake build and no unit tests; the package's binary is checked and
#   smoke-tested (CI: a third of the time)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-build-armhf}
cd "$top"
case $dir in /*) ;; *) dir=$top/$dir ;; esac
t_start=$(date +%s)

PKGS=(crossbuild-essential-armhf qemu-user-static dpkg-dev debhelper libmodbus-dev:armhf
  libpaho-mqtt-dev:armhf libcurl4-openssl-dev:armhf libsqlite3-dev:armhf libfyaml-dev:armhf
  libsodium-dev:armhf libcsv-dev:armhf zlib1g-dev:armhf libmicrohttpd-dev:armhf
  libxlsxwriter-dev:armhf libcmocka-dev:armhf)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "cross-armhf: missing packages: ${missing[*]} (run as root to install them)" >&2
    exit 1
  fi
  echo "cross-armhf: installing ${missing[*]}"
  dpkg --print-foreign-architectures | grep -qx armhf || dpkg --add-architecture armhf
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

mode=${ARMHF_TESTS:-all}
export FIELDGATE_PROFILES=$top/drivers/profiles FIELDGATE_ASSUME_SYNCED=1
qemu=$(command -v qemu-arm-static || command -v qemu-arm)

# 64-bit time_t throughout: with _TIME_BITS=64 glibc redirects every time function to its
# 64-bit twin (__clock_gettime64, __stat64_time64, ...); a call of the 32-bit one means a file
# was built without it.
check_time64() {
  local syms old new
  file -b "$1" | grep -q 'ELF 32-bit LSB.*ARM, EABI5' || {
    echo "not an armhf binary: $(file -b "$1")" >&2; exit 1; }
  syms=$(readelf --dyn-syms -W "$1" | awk '$7 == "UND" {print $8}' | sed 's/@.*//')
  old=$(echo "$syms" | grep -xE 'clock_gettime|clock_nanosleep|nanosleep|time|gmtime_r|localtime_r|mktime|timegm|difftime|gettimeofday|stat|fstat|lstat|fstatat|stat64|fstat64|lstat64|fstatat64|select|pselect|ppoll|pthread_cond_timedwait|pthread_mutex_timedlock|sem_timedwait|utimensat|futimens|setsockopt|getsockopt|recvmsg|sendmsg|timerfd_settime|timer_settime|clock_getres|ctime_r|localtime|gmtime' || true)
  new=$(echo "$syms" | grep -cE '64$|_time64$' || true)
  if [ -n "$old" ]; then
    echo "$1: 32-bit time or file calls: $(echo $old)" >&2
    exit 1
  fi
  echo "time64 ($(basename "$(dirname "$1")")/$(basename "$1")): no 32-bit time or stat call;" \
    "$new calls of glibc's 64-bit variants ($(echo "$syms" | grep -E '^__(clock_gettime64|stat64_time64|fstat64_time64|gmtime64_r|mktime64)$' | tr '\n' ' '))"
}

if [ "$mode" = all ]; then
  echo "=== armhf cross build ($dir)"
  cmake -S "$top" -B "$dir" -DCMAKE_TOOLCHAIN_FILE="$top/cmake/armhf.cmake" \
    -DCMAKE_INSTALL_PREFIX=/usr >/dev/null
  cmake --build "$dir" -j "$(nproc)" -- --no-print-directory -s
  qemu=$(sed -n 's/^GW_QEMU_ARM:FILEPATH=//p' "$dir/CMakeCache.txt")
  "$qemu" "$dir/fieldgate" --version
  check_time64 "$dir/fieldgate"
fi
t_build=$(date +%s)

if [ "$mode" = all ]; then
  echo "=== armhf unit and fuzz-replay tests under $(basename "$qemu")"
  cd "$dir"
  ctest --output-on-failure -L 'unit|fuzz' -E '^test_journal(_powercut)?$' -j 2
  # test_journal_powercut's 200 simulated power cuts take ~60 s under qemu-arm (20 s natively,
  # most of it in fsync), past ctest's 60 s for a unit test: run on its own, up to 300 s.
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
  cd "$top"
fi
t_tests=$(date +%s)

echo "=== armhf package (dpkg-buildpackage -a armhf)"
pkg=$dir/deb
rm -rf "$pkg"
mkdir -p "$pkg/src"
if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then  # the tree without build dirs
  (cd "$top" && git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -P -t "$pkg/src")
else
  tar -C "$top" --exclude='./build*' --exclude='./obj-*' -cf - . | tar -C "$pkg/src" -xf -
fi
(cd "$pkg/src" && DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -a armhf -b -us -uc -d -j"$(nproc)") \
  >"$pkg/build.log" 2>&1 || { tail -40 "$pkg/build.log" >&2; exit 1; }
rm -rf "$pkg/src"
deb=$(ls "$pkg"/fieldgate_*_armhf.deb)
dpkg-deb -f "$deb" Package Version Architecture Depends
mkdir -p "$pkg/usr-bin"
dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/bin/fieldgate >"$pkg/usr-bin/fieldgate"
chmod +x "$pkg/usr-bin/fieldgate"
check_time64 "$pkg/usr-bin/fieldgate"
if command -v lintian >/dev/null; then
  lintian --tag-display-limit 0 "$deb" >"$pkg/lintian.log" 2>&1 || true
  if grep -E '^[EW]: ' "$pkg/lintian.log"; then echo "lintian: errors or warnings (above)" >&2; exit 1; fi
  echo "lintian: no error, no warning"
fi
t_deb=$(date +%s)

# The smoke runs: the cmake build's binary, or (smoke mode) the package's.
bin=$pkg/usr-bin/fieldgate
[ "$mode" = all ] && bin=$dir/fieldgate
echo "=== armhf smoke test under qemu ($bin): the simulator on loopback, run --once against it"
smoke=$(mktemp -d)
sim_pid=
trap '[ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null; rm -rf "$smoke"' EXIT
# smoke NAME [SIM ARGS...]: sim and run --once (with --sim-clock when the sim writes one)
smoke() {
  local name=$1 port clock_args=()
  shift
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  cat >"$smoke/$name.yaml" <<YAML
gateway: {id: pi-smoke, township: t, data_dir: $smoke/$name-data}
buses: [{name: tcp1, type: tcp, host: 127.0.0.1, port: $port}]
sensors:
  - {id: s1, bus: tcp1, unit: 1, profile: seeed-s-soil-mtec-02, interval_s: 5}
  - {id: s2, bus: tcp1, unit: 2, profile: dfrobot-sen0601, interval_s: 5}
YAML
  case " $* " in *" --clock "*) clock_args=(--sim-clock "$smoke/$name.clock") ;; esac
  "$qemu" "$bin" sim -c "$smoke/$name.yaml" "$@" >"$smoke/$name.sim" 2>&1 &
  sim_pid=$!
  for _ in $(seq 100); do grep -q "sim: ready" "$smoke/$name.sim" && break; sleep 0.1; done
  timeout 60 "$qemu" "$bin" run -c "$smoke/$name.yaml" --once --output stdout \
    "${clock_args[@]}" >"$smoke/$name.once" 2>"$smoke/$name.err" || {
    cat "$smoke/$name.sim" "$smoke/$name.err" >&2; exit 1; }
  kill "$sim_pid" && wait "$sim_pid" 2>/dev/null || true
  sim_pid=
  n=$(grep -c '"gateway":"pi-smoke".*"quality":{[^}]*"good"' "$smoke/$name.once" || true)
  [ "$n" -eq 2 ] || { echo "$name: want 2 good readings, got: $(cat "$smoke/$name.once" "$smoke/$name.err")" >&2; exit 1; }
}
smoke now
echo "2 readings polled and journaled by the armhf binary"
# After 2038-01-19 a 32-bit time_t wraps: the simulated clock at 2040 must come out as 2040.
smoke y2040 --start 2040-06-01T10:00 --clock "$smoke/y2040.clock"
grep -q '"ts":"2040-06-01T1[0-9]:[0-9][0-9]:[0-9][0-9]+08:00"' "$smoke/y2040.once" || {
  echo "readings at a simulated 2040 do not say 2040: $(cat "$smoke/y2040.once")" >&2; exit 1; }
echo "2 readings at simulated 2040-06-01 stamped $(sed -n 's/.*"ts":"\([^"]*\)".*/\1/p' "$smoke/y2040.once" | head -1)"
t_smoke=$(date +%s)
echo "cross-armhf: $deb"
echo "cross-armhf ($mode): build $((t_build - t_start)) s, unit tests $((t_tests - t_build)) s," \
  "package $((t_deb - t_tests)) s, smoke $((t_smoke - t_deb)) s, total $((t_smoke - t_start)) s"
