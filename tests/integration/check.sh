# check.sh: 'scraper check' lists every error of every rule file, in order, with
# file:line:col (golden output); crawl and try refuse to start on them; every rule
# folder that ships passes; a rule file nested a million deep is refused at once.
. "$top_srcdir/tests/lib.sh"

plan 12

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

# 2 MB of "[[[[...]]]]": libyaml's scanner is quadratic in the nesting (over 120 s
# before the depth cap).  The time limit is the assertion: 30 s is far from the
# fraction of a second it takes, and far below the two minutes it took.
mkdir -p "$T/deep"
printf 'site: "ex.com"\nx: ' >"$T/deep/deep.yaml"
head -c 1000000 /dev/zero | tr '\0' '[' >>"$T/deep/deep.yaml"
head -c 1000000 /dev/zero | tr '\0' ']' >>"$T/deep/deep.yaml"
echo >>"$T/deep/deep.yaml"
RUN_TIMEOUT=30 run "$SCRAPER" check -c "$T/deep"
is "$status" 2 "check of a rule file nested a million deep ends at once with exit 2"
like "$out" "deep.yaml:2:67: YAML nested deeper than 64 levels" "and says where, with file:line:col"
RUN_TIMEOUT=30 run "$SCRAPER" crawl -c "$T/deep" -d "$T/deep.db" "$T/urls"
like "$status:$err" "^2:.*deep.yaml:2:67: YAML nested deeper than 64 levels" "crawl refuses it as fast, in the same words"

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
