#!/bin/sh
# smoke.sh CORPORA SECONDS TARGET...: run each libFuzzer TARGET (tests/fuzz/fuzz_NAME)
# for SECONDS on a copy of its seed corpus CORPORA/NAME.in, one after another (so the
# tree is never written to), with the dictionary CORPORA/NAME.dict where there is one.
# A target that crashes, leaks, times out or runs out of memory fails the run; its
# input is kept in fuzz-smoke/NAME/ and named at the end.
corpora=$1 seconds=$2
shift 2
work=$(mktemp -d "${TMPDIR:-/tmp}/fuzz-smoke.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
mkdir -p fuzz-smoke || exit 1
failed=
for t in "$@"; do
	name=${t##*/fuzz_}
	mkdir -p "$work/$name" "fuzz-smoke/$name" || exit 1
	if [ -d "$corpora/$name.in" ]; then
		cp "$corpora/$name.in"/* "$work/$name/" 2>/dev/null
	fi
	dict=
	if [ -f "$corpora/$name.dict" ]; then
		dict=-dict=$corpora/$name.dict
	fi
	printf 'fuzz-smoke: %s for %s s... ' "$name" "$seconds"
	if "$t" $dict -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="fuzz-smoke/$name/" "$work/$name" >"fuzz-smoke/$name/log" 2>&1; then
		echo "ok ($(sed -n 's/^stat::number_of_executed_units: *//p' "fuzz-smoke/$name/log") runs)"
	else
		echo "FAILED: see fuzz-smoke/$name/log"
		ls "fuzz-smoke/$name"/crash-* "fuzz-smoke/$name"/leak-* "fuzz-smoke/$name"/timeout-* \
			"fuzz-smoke/$name"/oom-* 2>/dev/null
		failed="$failed $name"
	fi
done
if [ -n "$failed" ]; then
	echo "fuzz-smoke: failed:$failed" >&2
	exit 1
fi
echo "fuzz-smoke: every target ran $seconds s without a crash"
