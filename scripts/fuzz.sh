#!/usr/bin/env bash
# Bounded fuzzing: builds the libFuzzer targets with clang under ASan+UBSan into DIR
# (default build-fuzz/) and runs every tests/fuzz/fuzz_NAME.c for FUZZ_SECONDS (default 30)
# seeded with tests/fuzz/corpus/NAME/ and the fixtures named in fuzz_NAME.corpus.
# New inputs go to a temp dir, never to the committed corpus. Any crash, leak, timeout
# or out-of-memory fails the run and prints the reproducer's path (the temp dir is kept).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-build-fuzz}
secs=${FUZZ_SECONDS:-30}
cd "$top"

CC=clang scripts/build.sh "$dir" -DGW_FUZZ=ON -DGW_SANITIZE="address;undefined" \
	-DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

work=$(mktemp -d "${TMPDIR:-/tmp}/fieldgate-fuzz.XXXXXX")
failed=()
export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# as for the replay tests: configs name the shipped profiles
export FIELDGATE_PROFILES="$top/drivers/profiles"

# Copies every seed of target $1 (the corpus dir, then each path of its .corpus list:
# a file, or a directory read one level deep) into $2.
seed() {
	local name=$1 out=$2 i=0 src f
	local -a srcs=()
	[ -d "tests/fuzz/corpus/$name" ] && srcs+=("tests/fuzz/corpus/$name")
	if [ -f "tests/fuzz/fuzz_$name.corpus" ]; then
		while IFS= read -r src; do
			[ -n "$src" ] && srcs+=("$src")
		done <"tests/fuzz/fuzz_$name.corpus"
	fi
	for src in "${srcs[@]}"; do
		[ -e "$src" ] || { echo "fuzz_$name: seed $src not found" >&2; return 1; }
		for f in "$src" "$src"/*; do
			[ -f "$f" ] || continue
			i=$((i + 1))
			cp "$f" "$out/$i-$(basename "$f")"
		done
	done
}

for src in tests/fuzz/fuzz_*.c; do
	name=$(basename "$src" .c)
	name=${name#fuzz_}
	mkdir -p "$work/$name/seed" "$work/$name/new"
	seed "$name" "$work/$name/seed"
	start=$SECONDS
	# New inputs land in new/ (the first corpus dir); seed/ is only read.
	if "$top/$dir/tests/fuzz_$name" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-max_len=8192 -print_final_stats=1 -artifact_prefix="$work/$name/" \
		"$work/$name/new" "$work/$name/seed" >"$work/$name/log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$name/log")
		echo "fuzz_$name: clean, ${runs:-?} inputs in $((SECONDS - start)) s"
	else
		echo "fuzz_$name: FAILED after $((SECONDS - start)) s; log $work/$name/log" >&2
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$work/$name/log" | head -5 >&2 || true
		for f in "$work/$name"/crash-* "$work/$name"/leak-* "$work/$name"/timeout-* \
			"$work/$name"/oom-* "$work/$name"/slow-unit-*; do
			[ -e "$f" ] && echo "  reproducer: $f (replay: $dir/tests/fuzz_$name $f)" >&2
		done
		failed+=("fuzz_$name")
	fi
done

if [ ${#failed[@]} -gt 0 ]; then
	echo "fuzzing failed: ${failed[*]}; inputs and logs kept in $work" >&2
	exit 1
fi
rm -rf "$work"
