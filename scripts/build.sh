#!/usr/bin/env bash
# Configures and builds into DIR (default build/) with extra cmake arguments.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-build}
shift || true
cmake -S "$top" -B "$top/$dir" "$@" >/dev/null
cmake --build "$top/$dir" -j "$(nproc)" -- --no-print-directory -s
