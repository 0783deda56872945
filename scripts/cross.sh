#!/usr/bin/env bash
# The Raspberry Pi cross builds:
#   scripts/cross.sh arm64|armhf [DIR]     # DIR: default build-ARCH/
# arm64: 64-bit Raspberry Pi OS / Debian arm64; armhf: the older Pis (1, Zero, 2) on 32-bit
# Raspberry Pi OS, built with 64-bit time_t and off_t. Installs (as root, when missing) Debian's
# cross toolchain, qemu-user, the target's -dev packages and the runtime packages fieldgate loads
# on first use (dlopen: Paho, libmicrohttpd, libxlsxwriter, libcurl); builds with cmake/ARCH.cmake
# into DIR; runs the unit and fuzz-replay tests under qemu-user; builds the .deb from debian/
# (dpkg-buildpackage -a ARCH) into DIR/deb/, lintian clean; checks the binaries are ARCH ones
# (armhf: calling only glibc's 64-bit time and file functions); and smoke-tests the daemon under
# qemu-user: the simulator on loopback and `run --once` against it (now, and at a simulated 2040),
# delivering over mqtt:// to a mosquitto on loopback through the target's Paho and serving
# /metrics through its libmicrohttpd, and `report --form summary --format xlsx` through its
# libxlsxwriter, each dlopen'ed from the target's multiarch directory (ld.so's LD_DEBUG=files log says which file), while a Paho
# without Paho's symbols on LD_LIBRARY_PATH makes `check` exit 2 naming it.
#   CROSS_TESTS=all (default): everything above.
#   CROSS_TESTS=smoke: no cmake build and no unit tests; the package's own binary gets the
#   checks and the smoke runs (what scripts/test.sh runs for armhf).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
arch=${1:-}
case $arch in
  arm64) triplet=aarch64-linux-gnu proc=aarch64 elf='ELF 64-bit LSB.*ARM aarch64' ;;
  armhf) triplet=arm-linux-gnueabihf proc=arm elf='ELF 32-bit LSB.*ARM, EABI5' ;;
  *) echo "usage: scripts/cross.sh arm64|armhf [DIR]" >&2; exit 2 ;;
esac
mode=${CROSS_TESTS:-all}
case $mode in all | smoke) ;; *) echo "cross: CROSS_TESTS=all|smoke, not '$mode'" >&2; exit 2 ;; esac
dir=${2:-build-$arch}
cd "$top"
case $dir in /*) ;; *) dir=$top/$dir ;; esac
t_start=$(date +%s)

PKGS=(crossbuild-essential-"$arch" qemu-user-static dpkg-dev debhelper file lintian mosquitto
  mosquitto-clients)
for p in libmodbus-dev libpaho-mqtt-dev libcurl4-openssl-dev libsqlite3-dev libfyaml-dev \
  libsodium-dev libcsv-dev zlib1g-dev libmicrohttpd-dev libxlsxwriter-dev libcmocka-dev \
  libpaho-mqtt1.3 libmicrohttpd12 libxlsxwriter4 libcurl4; do
  PKGS+=("$p:$arch")
done
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "cross $arch: missing packages: ${missing[*]} (run as root to install them)" >&2
    exit 1
  fi
  echo "cross $arch: installing ${missing[*]}"
  dpkg --print-foreign-architectures | grep -qx "$arch" || dpkg --add-architecture "$arch"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

export FIELDGATE_PROFILES=$top/drivers/profiles FIELDGATE_ASSUME_SYNCED=1
qemu=$(command -v "qemu-$proc-static" || command -v "qemu-$proc")

# check_binary FILE: an ARCH executable; on armhf with 64-bit time_t throughout: with
# _TIME_BITS=64 glibc redirects every time function to its 64-bit twin (__clock_gettime64,
# __stat64_time64, ...); a call of the 32-bit one means a file was built without it.
check_binary() {
  local syms old new
  file -b "$1" | grep -q "$elf" || { echo "not an $arch binary: $(file -b "$1")" >&2; exit 1; }
  [ "$arch" = armhf ] || return 0
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
  echo "=== $arch cross build ($dir)"
  cmake -S "$top" -B "$dir" -DCMAKE_TOOLCHAIN_FILE="$top/cmake/$arch.cmake" \
    -DCMAKE_INSTALL_PREFIX=/usr >/dev/null
  cmake --build "$dir" -j "$(nproc)" -- --no-print-directory -s
  qemu=$(sed -n 's/^GW_QEMU:FILEPATH=//p' "$dir/CMakeCache.txt")
  check_binary "$dir/fieldgate"
  "$qemu" "$dir/fieldgate" --version
fi
t_build=$(date +%s)

if [ "$mode" = all ]; then
  echo "=== $arch unit and fuzz-replay tests under $(basename "$qemu")"
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
  if [ "$failed" != "test_journal_second_handle_keeps_locks" ] && { [ "$rc" -ne 0 ] || [ -n "$failed" ]; }; then
    echo "$out" >&2
    echo "test_journal under qemu: unexpected failures: ${failed:-exit $rc}" >&2
    exit 1
  fi
  echo "test_journal under qemu: passed $(echo "$out" | sed -n 's/^\[  PASSED  \] //p')" \
    "(second_handle_keeps_locks needs a native exec)"
  cd "$top"
fi
t_tests=$(date +%s)

echo "=== $arch package (dpkg-buildpackage -a $arch, from debian/ as the native one)"
pkg=$dir/deb
rm -rf "$pkg"
mkdir -p "$pkg/src"
if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then  # the tree without build dirs
  (cd "$top" && git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -P -t "$pkg/src")
else
  tar -C "$top" --exclude='./build*' --exclude='./obj-*' -cf - . | tar -C "$pkg/src" -xf -
fi
(cd "$pkg/src" && DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -a "$arch" -b -us -uc -d -j"$(nproc)") \
  >"$pkg/build.log" 2>&1 || { tail -40 "$pkg/build.log" >&2; exit 1; }
rm -rf "$pkg/src"
deb=$(ls "$pkg"/fieldgate_*_"$arch".deb)
dpkg-deb -f "$deb" Package Version Architecture Depends
mkdir -p "$pkg/usr-bin"
dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/bin/fieldgate >"$pkg/usr-bin/fieldgate"
chmod +x "$pkg/usr-bin/fieldgate"
check_binary "$pkg/usr-bin/fieldgate"
lintian --tag-display-limit 0 "$deb" >"$pkg/lintian.log" 2>&1 || true
if grep -E '^[EW]: ' "$pkg/lintian.log"; then echo "lintian: errors or warnings (above)" >&2; exit 1; fi
echo "lintian: no error, no warning"
t_deb=$(date +%s)

# The smoke runs: the cmake build's binary, or (smoke mode) the package's.
bin=$pkg/usr-bin/fieldgate
[ "$mode" = all ] && bin=$dir/fieldgate
echo "=== $arch smoke runs under qemu ($bin): the simulator on loopback, run --once against it"
smoke=$(mktemp -d)
sim_pid='' mosq_pid='' sub_pid=''
trap 'for p in $sim_pid $sub_pid $mosq_pid; do kill "$p" 2>/dev/null; done; rm -rf "$smoke"' EXIT
free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# A real broker on loopback for the mqtt:// sink, and a subscriber to see what arrives.
mport=$(free_port)
printf 'user %s\nlistener %s 127.0.0.1\nallow_anonymous true\n' "$(id -un)" "$mport" >"$smoke/mosquitto.conf"
mosquitto -c "$smoke/mosquitto.conf" >"$smoke/mosquitto.log" 2>&1 &
mosq_pid=$!
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$mport") 2>/dev/null && break; sleep 0.1; done
mosquitto_sub -h 127.0.0.1 -p "$mport" -t 'fieldgate/#' -v >"$smoke/sub.out" 2>&1 &
sub_pid=$!
for _ in $(seq 100); do grep -q "New client connected" "$smoke/mosquitto.log" && break; sleep 0.1; done
cp "$top/config/demo/households.csv" "$top/config/demo/plots.csv" "$smoke/"
# smoke NAME [SIM ARGS...]: sim and run --once (with --sim-clock when the sim writes one);
# ld.so logs the files it loads (LD_DEBUG=files) to $smoke/NAME.ld.PID.
smoke() {
  local name=$1 port clock_args=()
  shift
  port=$(free_port)
  cat >"$smoke/$name.yaml" <<YAML
gateway: {id: pi-smoke, township: 新民乡, data_dir: $smoke/$name-data}
records: {households: households.csv, plots: plots.csv}
buses: [{name: tcp1, type: tcp, host: 127.0.0.1, port: $port}]
sensors:
  - {id: s1, bus: tcp1, unit: 1, profile: seeed-s-soil-mtec-02, plot: XM-0001, placement: under_film, interval_s: 5}
  - {id: s2, bus: tcp1, unit: 2, profile: dfrobot-sen0601, plot: XM-0001, placement: bare, interval_s: 5}
mqtt: {url: "mqtt://127.0.0.1:$mport", qos: 1, topic_prefix: fieldgate/$name}
metrics_http: {listen: 127.0.0.1, port: $(free_port)}
YAML
  case " $* " in *" --clock "*) clock_args=(--sim-clock "$smoke/$name.clock") ;; esac
  "$qemu" "$bin" sim -c "$smoke/$name.yaml" "$@" >"$smoke/$name.sim" 2>&1 &
  sim_pid=$!
  for _ in $(seq 100); do grep -q "sim: ready" "$smoke/$name.sim" && break; sleep 0.1; done
  timeout 60 env LD_DEBUG=files LD_DEBUG_OUTPUT="$smoke/$name.ld" "$qemu" "$bin" run \
    -c "$smoke/$name.yaml" --once --output stdout "${clock_args[@]}" >"$smoke/$name.once" 2>"$smoke/$name.err" || {
    cat "$smoke/$name.sim" "$smoke/$name.err" >&2; exit 1; }
  kill "$sim_pid" && wait "$sim_pid" 2>/dev/null || true
  sim_pid=
  n=$(grep -c '"gateway":"pi-smoke".*"quality":{[^}]*"good"' "$smoke/$name.once" || true)
  [ "$n" -eq 2 ] || { echo "$name: want 2 good readings, got: $(cat "$smoke/$name.once" "$smoke/$name.err")" >&2; exit 1; }
}
# loaded_from LOG SONAME: where ld.so found SONAME, which must be the target's multiarch directory.
loaded_from() {
  local f
  f=$(sed -n "s|.*calling init: \(.*/$2\)\$|\1|p" "$1".* | head -1)
  case $f in /lib/$triplet/* | /usr/lib/$triplet/*) echo "$f" ;;
    *) echo "$2 not loaded from the $arch libraries (ld.so: ${f:-never loaded}):" \
         "$(grep -h "$2" "$1".* | head -5)" >&2; exit 1 ;;
  esac
}
smoke now
echo "2 readings polled and journaled by the $arch binary"
# Delivered over mqtt:// through the target's Paho, loaded on first use.
got() { grep -c '^fieldgate/now/pi-smoke/plot/XM-0001/s[12] {"ts":.*"good"' "$smoke/sub.out" || true; }
for _ in $(seq 100); do [ "$(got)" -ge 2 ] && break; sleep 0.1; done
[ "$(got)" -eq 2 ] || {
  echo "mosquitto got $(got) readings, want 2: $(cat "$smoke/sub.out" "$smoke/now.err")" >&2; exit 1; }
lib=$(loaded_from "$smoke/now.ld" libpaho-mqtt3a.so.1)
echo "the readings reached mosquitto over mqtt:// through $lib"
lib=$(loaded_from "$smoke/now.ld" libmicrohttpd.so.12)
echo "/metrics (metrics_http) started through $lib"
# The county's summary sheet as xlsx through the target's libxlsxwriter, loaded on first use.
timeout 60 env LD_DEBUG=files LD_DEBUG_OUTPUT="$smoke/xlsx.ld" "$qemu" "$bin" report \
  -c "$smoke/now.yaml" --form summary --township 新民乡 --format xlsx --out "$smoke/summary.xlsx" 2>"$smoke/xlsx.err" || {
  cat "$smoke/xlsx.err" >&2; echo "report --format xlsx under qemu failed" >&2; exit 1; }
/usr/bin/python3 -c '
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    text = z.read("xl/sharedStrings.xml").decode("utf-8")
for want in ("汇总表", "新民村"):
    if want not in text:
        sys.exit(f"{sys.argv[1]}: no {want} in its strings")' "$smoke/summary.xlsx"
lib=$(loaded_from "$smoke/xlsx.ld" libxlsxwriter.so.4)
echo "summary.xlsx ($(stat -c %s "$smoke/summary.xlsx") bytes, 汇总表 of 新民乡) written through $lib"
# The same lookup finds a Paho that is not one first: check names it and exits 2.
mkdir "$smoke/fake-lib"
lib=$(loaded_from "$smoke/now.ld" libm.so.6)
ln -s "$lib" "$smoke/fake-lib/libpaho-mqtt3a.so.1"
LD_LIBRARY_PATH=$smoke/fake-lib "$qemu" "$bin" check -q -c "$smoke/now.yaml" >/dev/null \
  2>"$smoke/fake.err" && rc=0 || rc=$?
[ "$rc" -eq 2 ] && grep -q 'now\.yaml:[0-9]*:[0-9]*: error: mqtt: cannot load the MQTT library: libpaho-mqtt3a\.so\.1: no symbol' "$smoke/fake.err" || {
  echo "check with a libpaho-mqtt3a.so.1 that is libm: exit $rc: $(cat "$smoke/fake.err")" >&2; exit 1; }
echo "check with a libpaho-mqtt3a.so.1 that is libm: exit 2, $(grep -m1 'error:' "$smoke/fake.err" | sed "s|$smoke/||")"
# After 2038-01-19 a 32-bit time_t wraps: the simulated clock at 2040 must come out as 2040.
smoke y2040 --start 2040-06-01T10:00 --clock "$smoke/y2040.clock"
grep -q '"ts":"2040-06-01T1[0-9]:[0-9][0-9]:[0-9][0-9]+08:00"' "$smoke/y2040.once" || {
  echo "readings at a simulated 2040 do not say 2040: $(cat "$smoke/y2040.once")" >&2; exit 1; }
echo "2 readings at simulated 2040-06-01 stamped $(sed -n 's/.*"ts":"\([^"]*\)".*/\1/p' "$smoke/y2040.once" | head -1)"
kill "$sub_pid" "$mosq_pid" 2>/dev/null; wait "$sub_pid" "$mosq_pid" 2>/dev/null || true
sub_pid='' mosq_pid=''
t_smoke=$(date +%s)
echo "cross $arch: $deb"
echo "cross $arch ($mode): build $((t_build - t_start)) s, unit tests $((t_tests - t_build)) s," \
  "package $((t_deb - t_tests)) s, smoke $((t_smoke - t_deb)) s, total $((t_smoke - t_start)) s"
