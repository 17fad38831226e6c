#!/bin/sh
# coverage.sh [CORPORA]: how much of its own code each fuzz target's corpus reaches.
#
# Run in a clang build with source coverage, from the build folder:
#   CC=clang ../configure CFLAGS='-O1 -g -fprofile-instr-generate -fcoverage-mapping' \
#       LDFLAGS=-fprofile-instr-generate
#   make tests/fuzz/fuzz_css ... && ../tests/fuzz/coverage.sh [CORPORA]
# Each built target replays CORPORA/NAME/ (a grown corpus; default: the seed corpus
# tests/fuzz/NAME.in/) and prints, for each file it is there to test, the lines and
# branches reached and the functions never called.  Needs llvm-profdata and llvm-cov.
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
corpora=${1:-}
out=$(mktemp -d "${TMPDIR:-/tmp}/fuzz-coverage.XXXXXX") || exit 1
trap 'rm -rf "$out"' EXIT
for tool in llvm-profdata llvm-cov; do
	command -v $tool >/dev/null || { echo "coverage.sh: $tool not found (Debian: llvm)" >&2; exit 1; }
done

# The files each target is there to test.
files() {
	case $1 in
	canon) echo extractors/url.c ;;
	charset) echo scraper/worker/charset.c ;;
	cron) echo scraper/serve/cron.c ;;
	css) echo extractors/css.c extractors/cssmatch.c ;;
	extract) echo extractors/extract.c extractors/field.c extractors/cssmatch.c \
		scraper/worker/page.c scraper/worker/robotsmeta.c scraper/worker/linkgate.c ;;
	headers) echo scraper/worker/fetch.c scraper/worker/robotsmeta.c ;;
	ipc) echo scraper/ipc/ipc.c ;;
	jsonld) echo extractors/jsonld.c extractors/microdata.c ;;
	robots) echo scraper/worker/robots.c ;;
	rules) echo scraper/rules/rules.c ;;
	sitemap) echo scraper/worker/sitemap.c ;;
	spec) echo scraper/serve/spec.c ;;
	values) echo extractors/field.c extractors/url.c ;;
	esac
}

found=0
for bin in tests/fuzz/fuzz_*; do
	[ -x "$bin" ] || continue
	t=${bin##*/fuzz_}
	dir=$srcdir/tests/fuzz/$t.in
	[ -n "$corpora" ] && dir=$corpora/$t
	[ -d "$dir" ] || { echo "== $t: no corpus at $dir"; continue; }
	found=1
	# replay.c runs the files named on its command line; one profile per process
	(cd "$dir" && ls | LLVM_PROFILE_FILE="$out/$t-%p.profraw" xargs -n 500 \
		"$OLDPWD/$bin" >/dev/null 2>&1)
	if ! llvm-profdata merge -o "$out/$t.profdata" "$out/$t"-*.profraw 2>/dev/null; then
		echo "== $t: no profile (is this a coverage build?)"
		continue
	fi
	echo "== $t ($(ls "$dir" | wc -l) inputs)"
	llvm-cov report "$bin" -instr-profile="$out/$t.profdata" >"$out/$t.report" 2>/dev/null
	llvm-cov export -format=lcov "$bin" -instr-profile="$out/$t.profdata" \
		>"$out/$t.lcov" 2>/dev/null
	for f in $(files "$t"); do
		awk -v f="$f" 'index($1, f) && index($1, f) + length(f) == length($1) + 1 {
			printf "  %-28s lines %7s (%s/%s), branches %7s\n", f, $10, $8 - $9, $8, $13 }' \
			"$out/$t.report"
		awk -v f="$f" '/^SF:/ { on = index($0, f) && index($0, f) + length(f) == length($0) + 1 }
			on && /^FNDA:0,/ { sub(/^FNDA:0,/, ""); sub(/^.*:/, ""); never = never " " $0 }
			END { if (never != "") print "    never called:" never }' "$out/$t.lcov"
	done
done
[ $found = 1 ] || { echo "coverage.sh: no fuzz target built here" >&2; exit 1; }
