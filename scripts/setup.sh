#!/usr/bin/env bash
# Installs what fieldgate needs to build, run and test on Debian 12 (as root):
# setup.sh (build), setup.sh --demo (and the demo's servers), setup.sh --test (everything).
# Idempotent and quick when everything is already there.
set -euo pipefail

BUILD_PKGS=(gcc make cmake pkg-config libmodbus-dev libpaho-mqtt-dev libcurl4-openssl-dev
  libsqlite3-dev libsodium-dev libfyaml-dev libcsv-dev zlib1g-dev libmicrohttpd-dev libxlsxwriter-dev)
TEST_PKGS=(libcmocka-dev clang clang-format socat mbpoll python3 python3-pymodbus python3-serial
  python3-serial-asyncio python3-cryptography mosquitto mosquitto-clients influxdb openssl
  chromium chromium-driver python3-selenium   # the console in a real browser
  poppler-utils fonts-wqy-microhei python3-openpyxl
  dpkg-dev file systemd    # the .deb (dpkg-shlibdeps, file), systemd-analyze and -sysusers
  build-essential debhelper lintian man-db  # the .deb from debian/ (dpkg-buildpackage), lintian; man
  prometheus               # promtool: alerts.yml, `check metrics` on /metrics
  victoria-metrics         # a server speaking InfluxDB v2's /api/v2/write (test_influx_v2.py)
  python3-jinja2)          # Home Assistant's template engine: the discovery test renders its templates

# --demo: the servers scripts/demo.sh delivers to (started by the demo, on loopback).
DEMO_PKGS=(mosquitto mosquitto-clients influxdb)

want=("${BUILD_PKGS[@]}")
[ "${1:-}" = "--test" ] && want+=("${TEST_PKGS[@]}")
[ "${1:-}" = "--demo" ] && want+=("${DEMO_PKGS[@]}")

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#want[@]} packages present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "setup: missing packages: ${missing[*]} (run as root to install them)" >&2
  exit 1
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# Services stay stopped: tests start their own mosquitto and influxd on loopback.
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done"
