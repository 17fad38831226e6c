# cli.sh: the command-line shell: help (scraper help CMD too), version, exit codes, usage
# errors, options before or after the arguments.
. "$top_srcdir/tests/lib.sh"

plan 33

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

# scraper help [COMMAND]: the overview, or that command's --help, on stdout.
run "$SCRAPER" help
is "$status:$(printf '%s' "$out" | head -1)" "0:usage: scraper COMMAND [options] [args]" "help prints the overview"
for c in crawl query export check try stats; do
	"$SCRAPER" "$c" --help >"$T/want" 2>&1
	run "$SCRAPER" help "$c"
	if [ "$status" -eq 0 ] && cmp -s "$T/out" "$T/want"; then
		ok "help $c is $c --help"
	else
		not_ok "help $c is $c --help"
		diag "status $status" "$err"
	fi
done
run "$SCRAPER" help nosuchcmd
is "$status:$out" "2:" "help with an unknown command exits 2, nothing on stdout"
like "$err" "no command 'nosuchcmd' \(the commands are crawl, query, export, check, try, stats, serve, reparse\)" "and lists the commands"
run "$SCRAPER" help query stats
is "$status" 2 "help with two names exits 2"

# Options before or after the arguments (GNU order); -- ends the options.
: >"$T/empty.urls"
run "$SCRAPER" crawl "$T/empty.urls" -q -d "$T/order.db" -c "$top_srcdir/config/demo"
is "$status:$err" "0:" "crawl: options after the URL file"
run "$SCRAPER" crawl -q -d "$T/order.db" -c "$top_srcdir/config/demo" -- --no-such-file
like "$status:$err" "^[12]:.*no-such-file" "crawl: after --, --no-such-file is a URL file (the error names it)"
if printf '%s' "$err" | grep -q "unrecognized option"; then not_ok "and not an option"; else ok "and not an option"; fi
run "$SCRAPER" export -t listing -f csv -d "$T/order.db"
is "$status:$(printf '%s' "$out" | tr -d '\r')" "0:url" "export: options in any order"
run "$SCRAPER" stats -f json -d "$T/order.db"
like "$status:$out" '^0:\{"sites":\[\]' "stats: options in any order"
printf '<html><head><title>T</title></head></html>\n' >"$T/page.html"
run "$SCRAPER" try "$T/page.html" -c "$top_srcdir/config/demo" --url http://127.0.0.1/x.html
is "$status" 0 "try: options after the file"
run "$SCRAPER" check extra -c "$top_srcdir/config/demo"
is "$status" 2 "check: an argument where none is taken exits 2, wherever the options are"

run "$SCRAPER" crawl --workers zero urls.txt
is "$status" 2 "crawl --workers with a bad number exits 2"

run "$SCRAPER" crawl --no-such-option urls.txt
is "$status" 2 "crawl with an unknown option exits 2"

run "$SCRAPER" crawl
is "$status" 2 "crawl without a URL file exits 2"

done_testing
