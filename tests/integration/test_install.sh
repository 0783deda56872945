#!/bin/bash
# `make install DESTDIR=...` (the install target of this build): the binary, every profile where
# the binary looks for them by default, the example config and its record templates (which
# `check` accepts with the installed profiles), the man pages, the systemd unit naming the
# installed paths, and the sysusers.d file; `systemd-analyze verify` (its Documentation= pages
# found among the installed ones) and `security` on the unit where systemd-analyze is installed.
set -u
. "$(dirname "$0")/lib.sh"
: "${GW_SOURCE_DIR:?}"
build=$(dirname "$FIELDGATE")
root=$tmp/root

# the install target (`make install` with the Makefile generator), DESTDIR from the environment
DESTDIR=$root cmake --build "$build" --target install >"$tmp/install.log" 2>&1 ||
	fail "install: $(cat "$tmp/install.log")"
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")
[ -n "$prefix" ] || fail "no CMAKE_INSTALL_PREFIX in the cache"
[ -x "$root$prefix/bin/fieldgate" ] || fail "no $prefix/bin/fieldgate"
"$root$prefix/bin/fieldgate" --version | grep -q '^fieldgate [0-9]' || fail "installed binary does not run"

# Profiles: all of them, where the binary looks when neither the config nor the
# environment names a directory (its error message says where that is).
profdir=$prefix/share/fieldgate/profiles
want=$(cd "$GW_SOURCE_DIR/drivers/profiles" && ls ./*.yaml | sort)
have=$(cd "$root$profdir" 2>/dev/null && ls ./*.yaml | sort)
[ -n "$want" ] && [ "$want" = "$have" ] || fail "profiles in $profdir: want $want, have $have"
example=$(cd "$root" && find . -name gateway.yaml.example | sed 's/^\.//')
[ "$(echo "$example" | wc -l)" -eq 1 ] && [ -n "$example" ] || fail "example config: '$example'"
confdir=$(dirname "$example")
[ "$prefix" != /usr ] || [ "$confdir" = /etc/fieldgate ] || fail "prefix /usr, config in $confdir"
mkdir -p "$tmp/etc"
cp "$root$example" "$tmp/etc/gateway.yaml"
cp "$GW_SOURCE_DIR"/config/demo/households.csv "$GW_SOURCE_DIR"/config/demo/plots.csv "$tmp/etc/"
out=$(env -u FIELDGATE_PROFILES "$root$prefix/bin/fieldgate" check -c "$tmp/etc/gateway.yaml" 2>&1)
echo "$out" | grep -q "no profile \"seeed-s-soil-mtec-02\" in $profdir " ||
	fail "the binary's default profile directory is not $profdir: $out"
out=$(FIELDGATE_PROFILES=$root$profdir "$root$prefix/bin/fieldgate" check -c "$tmp/etc/gateway.yaml" 2>&1) ||
	fail "check of the example config with the installed profiles: $out"
grep -qE '^ *password_(file|credential):' "$tmp/etc/gateway.yaml" && ! grep -qE '^ *(password|token):' "$tmp/etc/gateway.yaml" ||
	fail "the example config must take its secrets from files or credentials"
# the examples with their record templates, as installed, pass check
ex=$root$prefix/share/doc/fieldgate/examples
out=$(FIELDGATE_PROFILES=$root$profdir "$root$prefix/bin/fieldgate" check -c "$ex/gateway.yaml" 2>&1) ||
	fail "check of the installed examples: $out"
for page in man1/fieldgate.1 man5/gateway.yaml.5; do
	[ -f "$root$prefix/share/man/$page" ] || fail "no $page"
done

# The unit and the user.
unit=$root$prefix/lib/systemd/system/fieldgate.service
[ -f "$unit" ] || fail "no unit at $prefix/lib/systemd/system"
grep -qx "ExecStart=$prefix/bin/fieldgate run -c $confdir/gateway.yaml" "$unit" || fail "ExecStart: $(grep ExecStart "$unit")"
for key in Type=notify WatchdogSec=30 Restart=on-failure StateDirectory=fieldgate User=fieldgate \
	SupplementaryGroups=dialout ProtectSystem=strict DevicePolicy=closed "DeviceAllow=char-ttyUSB rw"; do
	grep -qx "$key" "$unit" || fail "unit without $key"
done
grep -q "^m fieldgate dialout$" "$root$prefix/lib/sysusers.d/fieldgate.conf" || fail "sysusers: not in dialout"
[ -f "$root$prefix/share/doc/fieldgate/README.md" ] || fail "no README in the doc directory"

if command -v systemd-analyze >/dev/null; then
	# verify checks that ExecStart exists on this machine: point it at the DESTDIR copy
	sed "s|^ExecStart=$prefix/bin/fieldgate|ExecStart=$root$prefix/bin/fieldgate|" "$unit" >"$tmp/fieldgate.service"
	out=$(cd "$tmp" && MANPATH=$root$prefix/share/man systemd-analyze verify ./fieldgate.service 2>&1) || fail "systemd-analyze verify: $out"
	[ -z "$out" ] || fail "systemd-analyze verify warns: $out"
	out=$(systemd-analyze security --offline=true --root="$root" fieldgate.service 2>&1) ||
		fail "systemd-analyze security: $out"
	level=$(echo "$out" | sed -n 's/.*Overall exposure level for fieldgate.service: \([0-9.]*\).*/\1/p')
	echo "systemd-analyze security: exposure $level"
	awk -v l="$level" 'BEGIN { exit !(l != "" && l + 0 <= 2.5) }' || fail "exposure '$level' above 2.5: $out"
else
	echo "systemd-analyze not installed: unit not verified"
fi
echo "ok"
