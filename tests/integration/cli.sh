# cli.sh: the command-line shell: help, version, exit codes, usage errors.
. "$top_srcdir/tests/lib.sh"

plan 16

run "$SCRAPER" --help
is "$status" 0 "--help exits 0"
like "$out" "^usage: scraper COMMAND" "--help prints usage on stdout"

run "$SCRAPER" --version
is "$status" 0 "--version exits 0"
like "$out" "^scraper [0-9]+\.[0-9]+\.[0-9]+$" "--version prints the version"

run "$SCRAPER"
is "$status" 2 "no command exits 2"

run "$SCRAPER" frobnicate
is "$status" 2 "unknown command exits 2"
like "$err" "unknown command 'frobnicate'" "unknown command is named"

for c in crawl query export check try stats; do
	run "$SCRAPER" "$c" --help
	if [ "$status" -eq 0 ] && printf '%s' "$out" | grep -q "^usage: scraper $c"; then
		ok "$c --help"
	else
		not_ok "$c --help"
		diag "status $status" "$out"
	fi
done

run "$SCRAPER" crawl --workers zero urls.txt
is "$status" 2 "crawl --workers with a bad number exits 2"

run "$SCRAPER" crawl --no-such-option urls.txt
is "$status" 2 "crawl with an unknown option exits 2"

run "$SCRAPER" crawl
is "$status" 2 "crawl without a URL file exits 2"

done_testing
