#!/bin/bash
# The .deb: configures this source tree for /usr (tests off), builds it and runs `cpack -G DEB`;
# checks the control data (name, architecture, shared-library dependencies from dpkg-shlibdeps,
# the example config as a conffile, postinst), the file list, and installs it into a temp root
# (dpkg --root, maintainer scripts chrootless): the files land, the postinst makes the
# fieldgate user in dialout; then removes and purges it.
set -u
. "$(dirname "$0")/lib.sh"
: "${GW_SOURCE_DIR:?}"
cc=$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$(dirname "$FIELDGATE")/CMakeCache.txt")

cmake -S "$GW_SOURCE_DIR" -B "$tmp/b" -DGW_TESTS=OFF -DCMAKE_INSTALL_PREFIX=/usr \
	${cc:+-DCMAKE_C_COMPILER="$cc"} >"$tmp/cmake.log" 2>&1 || fail "configure: $(tail "$tmp/cmake.log")"
cmake --build "$tmp/b" -j 2 >"$tmp/build.log" 2>&1 || fail "build: $(tail "$tmp/build.log")"
(cd "$tmp/b" && cpack -G DEB) >"$tmp/cpack.log" 2>&1 || fail "cpack: $(cat "$tmp/cpack.log")"
deb=$(ls "$tmp"/b/fieldgate_*.deb)
[ -f "$deb" ] || fail "no .deb: $(cat "$tmp/cpack.log")"
echo "package: $(basename "$deb"), $(stat -c %s "$deb") bytes"

# Control data.
[ "$(dpkg-deb -f "$deb" Package)" = fieldgate ] || fail "package name"
[ "$(dpkg-deb -f "$deb" Architecture)" = "$(dpkg --print-architecture)" ] || fail "architecture"
deps=$(dpkg-deb -f "$deb" Depends)
for lib in libc6 libmodbus5 libpaho-mqtt1.3 libcurl4 libsqlite3-0 libfyaml0 libsodium23 libcsv3 zlib1g libmicrohttpd12; do
	echo "$deps" | grep -q "\b$lib\b" || fail "Depends without $lib: $deps"
done
dpkg-deb -e "$deb" "$tmp/control"
grep -qx /etc/fieldgate/gateway.yaml.example "$tmp/control/conffiles" || fail "conffiles: $(cat "$tmp/control/conffiles")"
[ -x "$tmp/control/postinst" ] && grep -q systemd-sysusers "$tmp/control/postinst" || fail "postinst"

# File list.
dpkg-deb -c "$deb" | awk '{print $6}' >"$tmp/files"
for f in ./usr/bin/fieldgate ./usr/lib/systemd/system/fieldgate.service ./usr/lib/sysusers.d/fieldgate.conf \
	./etc/fieldgate/gateway.yaml.example ./usr/share/fieldgate/profiles/seeed-s-soil-mtec-02.yaml; do
	grep -qx "$f" "$tmp/files" || fail "$f not in the package: $(cat "$tmp/files")"
done
n=$(grep -c '^./usr/share/fieldgate/profiles/.*\.yaml$' "$tmp/files")
[ "$n" -eq "$(ls "$GW_SOURCE_DIR"/drivers/profiles/*.yaml | wc -l)" ] || fail "$n profiles packaged"
grep -v '^\./\(usr\|etc\)/' "$tmp/files" | grep -v '^\./$' && fail "files outside /usr and /etc"

# Install into a temp root; the postinst runs without chroot, with DPKG_ROOT set.
r=$tmp/root
mkdir -p "$r/var/lib/dpkg/info" "$r/var/lib/dpkg/updates" "$r/etc"
touch "$r/var/lib/dpkg/status"
dpkg --root="$r" --force-script-chrootless --force-depends --log=/dev/null -i "$deb" >"$tmp/dpkg.log" 2>&1 ||
	fail "dpkg -i: $(cat "$tmp/dpkg.log")"
dpkg --root="$r" -s fieldgate | grep -qx "Status: install ok installed" || fail "not installed"
[ -x "$r/usr/bin/fieldgate" ] && "$r/usr/bin/fieldgate" --version >/dev/null || fail "packaged binary does not run"
grep -q '^fieldgate:x:[0-9]*:[0-9]*:.*:/var/lib/fieldgate:' "$r/etc/passwd" || fail "no fieldgate user: $(cat "$r/etc/passwd")"
grep -q '^dialout:x:[0-9]*:\(.*,\)\?fieldgate\(,.*\)\?$' "$r/etc/group" || fail "fieldgate not in dialout: $(cat "$r/etc/group")"
if command -v systemd-analyze >/dev/null; then
	sed "s|^ExecStart=/usr/bin/fieldgate|ExecStart=$r/usr/bin/fieldgate|" \
		"$r/usr/lib/systemd/system/fieldgate.service" >"$tmp/fieldgate.service"
	out=$(cd "$tmp" && systemd-analyze verify ./fieldgate.service 2>&1)
	[ -z "$out" ] || fail "systemd-analyze verify: $out"
fi
dpkg --root="$r" --force-script-chrootless --log=/dev/null -r fieldgate >>"$tmp/dpkg.log" 2>&1 || fail "dpkg -r"
[ ! -e "$r/usr/bin/fieldgate" ] && [ -e "$r/etc/fieldgate/gateway.yaml.example" ] || fail "remove: binary kept or conffile gone"
dpkg --root="$r" --force-script-chrootless --log=/dev/null -P fieldgate >>"$tmp/dpkg.log" 2>&1 || fail "dpkg -P"
[ ! -e "$r/etc/fieldgate/gateway.yaml.example" ] || fail "purge kept the conffile"
echo "ok"
