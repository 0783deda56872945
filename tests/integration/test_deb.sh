#!/bin/bash
# The .deb, built as Debian builds it: a copy of this source tree, `dpkg-buildpackage -b` with
# debian/ (debhelper, dpkg-buildflags hardening). Checks: lintian without an error or a warning;
# the control data (version = the project's, shared-library dependencies, a maintainer off
# localhost, every file under /etc a conffile); the hardening in the binary (PIE, RELRO,
# BIND_NOW, fortified calls, stack protector); the file list (man pages, examples, copyright,
# changelog, unit, sysusers.d); the maintainer scripts (user made by systemd-sysusers, no start
# at install, try-restart on upgrade: run with stand-ins for systemctl and deb-systemd-invoke).
# Then installs it into a temp root (dpkg --root, maintainer scripts chrootless): the files
# land, the fieldgate user is in dialout, the packaged binary runs `check` on the packaged
# examples, the unit verifies; then upgrade, remove and purge.
set -u
. "$(dirname "$0")/lib.sh"
: "${GW_SOURCE_DIR:?}"
cc=$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$(dirname "$FIELDGATE")/CMakeCache.txt")
for tool in dpkg-buildpackage dh lintian; do
	command -v "$tool" >/dev/null || fail "$tool not installed (scripts/setup.sh --test installs it)"
done

# A copy of the tree (tracked and new files, not build directories), built as a package.
src=$tmp/src/fieldgate
mkdir -p "$src"
if git -C "$GW_SOURCE_DIR" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$GW_SOURCE_DIR" && git ls-files -z --cached --others --exclude-standard |
		xargs -0 cp --parents -P -t "$src") || fail "copying the tree"
else
	tar -C "$GW_SOURCE_DIR" --exclude='./build*' --exclude='./obj-*' -cf - . | tar -C "$src" -xf -
fi
t0=$(date +%s)
(cd "$src" && CC=${cc:-cc} dpkg-buildpackage -b -us -uc -j2) >"$tmp/build.log" 2>&1 ||
	fail "dpkg-buildpackage: $(tail -30 "$tmp/build.log")"
deb=$(ls "$tmp"/src/fieldgate_*.deb 2>/dev/null | grep -v dbgsym)
[ -f "$deb" ] || fail "no .deb: $(tail "$tmp/build.log")"
echo "package: $(basename "$deb"), $(stat -c %s "$deb") bytes, built in $(($(date +%s) - t0)) s"

# lintian: no error, no warning (information tags are printed, not failed on).
t0=$(date +%s)
lintian --tag-display-limit 0 --display-info "$deb" >"$tmp/lintian.log" 2>&1
grep -E '^[EW]: ' "$tmp/lintian.log" && fail "lintian errors or warnings (above)"
grep -q '^I: ' "$tmp/lintian.log" && grep '^I: ' "$tmp/lintian.log"
echo "lintian: 0 errors, 0 warnings, $(grep -c '^I: ' "$tmp/lintian.log") info tags ($(($(date +%s) - t0)) s)"

# Control data.
ver=$(sed -n 's/^project(fieldgate VERSION \([0-9.]*\).*/\1/p' "$GW_SOURCE_DIR/CMakeLists.txt")
[ "$(dpkg-deb -f "$deb" Package)" = fieldgate ] || fail "package name"
[ "$(dpkg-deb -f "$deb" Version)" = "$ver" ] || fail "version $(dpkg-deb -f "$deb" Version), project $ver"
[ "$(dpkg-deb -f "$deb" Architecture)" = "$(dpkg --print-architecture)" ] || fail "architecture"
dpkg-deb -f "$deb" Maintainer | grep -qiE '@(localhost|localdomain)' && fail "maintainer on localhost"
deps=$(dpkg-deb -f "$deb" Depends)
for lib in libc6 libmodbus5 libpaho-mqtt1.3 libcurl4 libsqlite3-0 libfyaml0 libsodium23 libcsv3 zlib1g libmicrohttpd12 libxlsxwriter4; do
	echo "$deps" | grep -q "\b$lib\b" || fail "Depends without $lib: $deps"
done
dpkg-deb -e "$deb" "$tmp/control"
dpkg-deb -c "$deb" | awk '{print $6}' >"$tmp/files"
etc=$(grep '^\./etc/.*[^/]$' "$tmp/files" | sed 's/^\.//' | sort)
[ -n "$etc" ] && [ "$etc" = "$(sort "$tmp/control/conffiles")" ] ||
	fail "conffiles: $(cat "$tmp/control/conffiles"), files under /etc: $etc"

# Hardening of the packaged binary.
dpkg-deb -x "$deb" "$tmp/x"
bin=$tmp/x/usr/bin/fieldgate
readelf -h "$bin" | grep -q 'Type: *DYN' || fail "not PIE"
readelf -lW "$bin" | grep -q GNU_RELRO || fail "no RELRO"
readelf -dW "$bin" | grep -qE 'BIND_NOW|Flags:.* NOW' || fail "no BIND_NOW"
readelf --dyn-syms -W "$bin" | grep -qE ' __[a-z_]+_chk(@|$)' || fail "no fortified calls"
readelf --dyn-syms -W "$bin" | grep -q ' __stack_chk_fail' || fail "no stack protector"
echo "hardening: PIE, RELRO, BIND_NOW, $(readelf --dyn-syms -W "$bin" | grep -cE ' __[a-z_]+_chk(@|$)') fortified functions, stack protector"

# File list.
for f in ./usr/bin/fieldgate ./lib/systemd/system/fieldgate.service ./usr/lib/sysusers.d/fieldgate.conf \
	./etc/fieldgate/gateway.yaml.example ./usr/share/fieldgate/profiles/seeed-s-soil-mtec-02.yaml \
	./usr/share/man/man1/fieldgate.1.gz ./usr/share/man/man5/gateway.yaml.5.gz \
	./usr/share/doc/fieldgate/copyright ./usr/share/doc/fieldgate/changelog.gz \
	./usr/share/doc/fieldgate/examples/gateway.yaml ./usr/share/doc/fieldgate/examples/households.csv \
	./usr/share/doc/fieldgate/examples/plots.csv ./usr/share/bash-completion/completions/fieldgate; do
	grep -qx "$f" "$tmp/files" || fail "$f not in the package: $(cat "$tmp/files")"
done
n=$(grep -c '^./usr/share/fieldgate/profiles/.*\.yaml$' "$tmp/files")
[ "$n" -eq "$(ls "$GW_SOURCE_DIR"/drivers/profiles/*.yaml | wc -l)" ] || fail "$n profiles packaged"
grep -v '^\./\(usr\|etc\|lib\)/' "$tmp/files" | grep -v '^\./$' && fail "files outside /usr, /lib and /etc"
grep -q '^LoadCredential=fieldgate.mqtt-password$' "$tmp/x/lib/systemd/system/fieldgate.service" &&
	grep -q '^LoadCredential=fieldgate.influxdb-token$' "$tmp/x/lib/systemd/system/fieldgate.service" ||
	fail "unit without LoadCredential="

# The maintainer scripts as the package manager runs them on a systemd machine, with stand-ins
# that record what they were asked (and a stand-in for /run/systemd/system).
fake=$tmp/fake
mkdir -p "$fake/bin" "$fake/run-systemd-system"
for t in systemctl deb-systemd-invoke deb-systemd-helper systemd-sysusers; do
	printf '#!/bin/sh\necho "%s $*" >>"%s/calls"\n' "$t" "$fake" >"$fake/bin/$t"
	chmod +x "$fake/bin/$t"
done
sed "s|/run/systemd/system|$fake/run-systemd-system|g" "$tmp/control/postinst" >"$fake/postinst"
: >"$fake/calls"
env -u DPKG_ROOT PATH="$fake/bin:$PATH" sh "$fake/postinst" configure "" || fail "postinst configure (install)"
grep -q '^systemd-sysusers fieldgate.conf$' "$fake/calls" || fail "install: no sysusers: $(cat "$fake/calls")"
grep -q '^deb-systemd-helper enable fieldgate.service$' "$fake/calls" || fail "install: not enabled: $(cat "$fake/calls")"
grep -q '^deb-systemd-invoke' "$fake/calls" && fail "install: the service was started: $(cat "$fake/calls")"
: >"$fake/calls"
env -u DPKG_ROOT PATH="$fake/bin:$PATH" sh "$fake/postinst" configure 0.0.9 || fail "postinst configure (upgrade)"
grep -q '^deb-systemd-invoke try-restart fieldgate.service$' "$fake/calls" ||
	fail "upgrade: no try-restart: $(cat "$fake/calls")"
if [ -f "$tmp/control/preinst" ]; then
	grep -q 'deb-systemd-invoke stop' "$tmp/control/preinst" && fail "preinst stops the service on upgrade"
fi
echo "maintainer scripts: install enables without starting; upgrade: try-restart"

# Install into a temp root; the maintainer scripts run without chroot, with DPKG_ROOT set.
r=$tmp/root
mkdir -p "$r/var/lib/dpkg/info" "$r/var/lib/dpkg/updates" "$r/etc"
touch "$r/var/lib/dpkg/status"
dpkg --root="$r" --force-script-chrootless --force-depends --log=/dev/null -i "$deb" >"$tmp/dpkg.log" 2>&1 ||
	fail "dpkg -i: $(cat "$tmp/dpkg.log")"
dpkg --root="$r" -s fieldgate | grep -qx "Status: install ok installed" || fail "not installed"
[ -x "$r/usr/bin/fieldgate" ] && "$r/usr/bin/fieldgate" --version >/dev/null || fail "packaged binary does not run"
grep -q '^fieldgate:x:[0-9]*:[0-9]*:.*:/var/lib/fieldgate:' "$r/etc/passwd" || fail "no fieldgate user: $(cat "$r/etc/passwd")"
grep -q '^dialout:x:[0-9]*:\(.*,\)\?fieldgate\(,.*\)\?$' "$r/etc/group" || fail "fieldgate not in dialout: $(cat "$r/etc/group")"
[ -L "$r/etc/systemd/system/multi-user.target.wants/fieldgate.service" ] || fail "the unit is not enabled in the root"
ex=$r/usr/share/doc/fieldgate/examples
out=$(env -u FIELDGATE_CONFIG FIELDGATE_PROFILES="$r/usr/share/fieldgate/profiles" \
	"$r/usr/bin/fieldgate" check -c "$ex/gateway.yaml" 2>&1) || fail "check of the packaged examples: $out"
echo "$out" | grep -q "2 sensors, 2 profiles" || fail "check of the examples: $out"
cmp -s "$ex/gateway.yaml" "$r/etc/fieldgate/gateway.yaml.example" || fail "the two example configs differ"
if command -v systemd-analyze >/dev/null; then
	sed "s|^ExecStart=/usr/bin/fieldgate|ExecStart=$r/usr/bin/fieldgate|" \
		"$r/lib/systemd/system/fieldgate.service" >"$tmp/fieldgate.service"
	out=$(cd "$tmp" && MANPATH=$r/usr/share/man systemd-analyze verify ./fieldgate.service 2>&1)
	[ -z "$out" ] || fail "systemd-analyze verify: $out"
fi
# upgrade (the same version again: the upgrade path of the scripts), then remove and purge
echo "# edited" >>"$r/etc/fieldgate/gateway.yaml.example"
dpkg --root="$r" --force-script-chrootless --force-depends --force-confold --log=/dev/null -i "$deb" >>"$tmp/dpkg.log" 2>&1 ||
	fail "dpkg -i (upgrade): $(cat "$tmp/dpkg.log")"
grep -q '^# edited$' "$r/etc/fieldgate/gateway.yaml.example" || fail "upgrade replaced an edited conffile"
dpkg --root="$r" --force-script-chrootless --log=/dev/null -r fieldgate >>"$tmp/dpkg.log" 2>&1 || fail "dpkg -r"
[ ! -e "$r/usr/bin/fieldgate" ] && [ -e "$r/etc/fieldgate/gateway.yaml.example" ] || fail "remove: binary kept or conffile gone"
dpkg --root="$r" --force-script-chrootless --log=/dev/null -P fieldgate >>"$tmp/dpkg.log" 2>&1 || fail "dpkg -P"
[ ! -e "$r/etc/fieldgate/gateway.yaml.example" ] || fail "purge kept the conffile"
[ ! -e "$r/etc/systemd/system/multi-user.target.wants/fieldgate.service" ] || fail "purge kept the enable link"
echo "ok"
