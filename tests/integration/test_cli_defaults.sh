#!/bin/bash
# The CLI's defaults: with no -c, `check` (as every command taking -c) reads
# $FIELDGATE_CONFIG, else /etc/fieldgate/gateway.yaml (the error names it); a binary run from
# its build tree finds the source tree's profiles without FIELDGATE_PROFILES, while a copy
# outside the build tree does not (so installed binaries keep /usr/share/fieldgate/profiles);
# the bash completion script loads and completes commands and options. Fails without the
# default (exit 2, "usage"), without the build-tree lookup (each profile "not found").
set -u
. "$(dirname "$0")/lib.sh"
: "${GW_SOURCE_DIR:?}"
demo=$GW_SOURCE_DIR/config/demo/gateway.yaml
unset FIELDGATE_PROFILES FIELDGATE_CONFIG

"$FIELDGATE" check -q -c "$demo" >"$tmp/build.log" 2>&1 ||
	fail "build-tree binary did not find the source profiles: $(cat "$tmp/build.log")"
FIELDGATE_CONFIG=$demo "$FIELDGATE" check -q >"$tmp/env.log" 2>&1 ||
	fail "check without -c did not read \$FIELDGATE_CONFIG: $(cat "$tmp/env.log")"
if [ ! -e /etc/fieldgate/gateway.yaml ]; then
	(cd "$tmp" && "$FIELDGATE" check) >"$tmp/etc.log" 2>&1
	[ $? -eq 2 ] && grep -q '^/etc/fieldgate/gateway.yaml: error: cannot open' "$tmp/etc.log" ||
		fail "check without -c and \$FIELDGATE_CONFIG: $(cat "$tmp/etc.log")"
	FIELDGATE_CONFIG=$demo "$FIELDGATE" sim --help >/dev/null 2>&1 || fail "sim --help"
fi
if [ ! -d /usr/share/fieldgate/profiles ]; then
	cp "$FIELDGATE" "$tmp/fieldgate-copy"
	"$tmp/fieldgate-copy" check -q -c "$demo" >"$tmp/copy.log" 2>&1 &&
		fail "a copy outside the build tree used the source profiles"
	grep -q 'share/fieldgate/profiles' "$tmp/copy.log" || fail "copy: $(cat "$tmp/copy.log")"
fi

# bash completion: commands, then a command's options, then files after -c
comp=$GW_SOURCE_DIR/scripts/bash-completion/fieldgate
out=$(bash -c '. "$1"; COMP_WORDS=(fieldgate re); COMP_CWORD=1; _fieldgate; echo "${COMPREPLY[*]}"' _ "$comp")
[ "$out" = "read report" ] || fail "completion of 're': '$out'"
out=$(bash -c '. "$1"; COMP_WORDS=(fieldgate check --); COMP_CWORD=2; _fieldgate; echo "${COMPREPLY[*]}"' _ "$comp")
case " $out " in *" --config --quiet "*) ;; *) fail "completion of 'check --': '$out'" ;; esac
echo "CLI defaults and completion ok"
