# check.sh: 'scraper check' lists every error of every rule file, in order, with
# file:line:col (golden output); crawl and try refuse to start on them; every rule
# folder that ships passes.
. "$top_srcdir/tests/lib.sh"

plan 9

cd "$top_srcdir" || exit 99
run "$SCRAPER" check -c tests/fixtures/rules/bad
is "$status" 2 "check of broken rule files exits 2"
if printf '%s\n' "$out" | diff tests/fixtures/rules/bad.expected - >"$T/diff"; then
	ok "every error, sorted, with file:line:col (golden: tests/fixtures/rules/bad.expected)"
else
	not_ok "every error, sorted, with file:line:col (golden: tests/fixtures/rules/bad.expected)"
	diag "$(cat "$T/diff")"
fi

echo "http://127.0.0.1:9/" >"$T/urls"
run "$SCRAPER" crawl -c tests/fixtures/rules/bad -d "$T/db" "$T/urls"
is "$status" 2 "crawl refuses to start on broken rule files (exit 2)"
if [ ! -e "$T/db" ]; then ok "and touches no database"; else not_ok "and touches no database"; fi
like "$err" "quotes.yaml:11:44: unknown key 'requird'" "crawl prints the errors too"

run "$SCRAPER" try -c tests/fixtures/rules/bad "tests/demo-site/index.html" --url http://127.0.0.1/
is "$status" 2 "try refuses too (exit 2)"

for dir in config config/demo tests/fixtures/rules/good; do
	run "$SCRAPER" check -c "$dir"
	if [ "$status" = 0 ] && printf '%s' "$out" | grep -q "all valid"; then
		ok "the rule files in $dir are valid"
	else
		not_ok "the rule files in $dir are valid"
		diag "$out"
	fi
done

done_testing
