# stats.sh: scraper stats: a database with failures of every kind against golden files
# (table and json), an empty database, a real crawl whose pages fail in several ways,
# and the errors of a missing or foreign database.
. "$top_srcdir/tests/lib.sh"

plan 27

G="$FIXTURES/query"
mkdir -p "$T/db"
: >"$T/empty.urls"
DB="$T/db/stats.db"
"$SCRAPER" crawl -q -c "$top_srcdir/config/demo" -d "$DB" "$T/empty.urls" &&
	"$SQLITE3" "$DB" <"$G/stats.sql" || { echo "Bail out! cannot build $DB"; exit 99; }

# The crawl's summary and stats use the same words (ok, failed, skipped) and agree.
# summary_counts: "OK FAILED SKIPPED" from a crawl's summary line on stderr.
summary_counts() {
	sed -n 's/.*: \([0-9]*\) ok, \([0-9]*\) failed, \([0-9]*\) skipped.*/\1 \2 \3/p' "$1" | head -1
}
stats_counts() {
	printf '%s\n' "$1" | sed -n 's/^"total":.*"pages":{"total":[0-9]*,"ok":\([0-9]*\),"failed":\([0-9]*\),"skipped":\([0-9]*\),.*/\1 \2 \3/p'
}
# agree FILE DESCRIPTION: stats' totals ($out, json) against the crawl's summary in FILE.
agree() {
	is "$(stats_counts "$out")" "$(summary_counts "$1")" "$2"
}

golden() {
	if [ "$status" -eq 0 ] && cmp -s "$T/out" "$G/$1"; then
		ok "$2"
	else
		not_ok "$2"
		diag "status $status" "$err"
		diff "$G/$1" "$T/out" | head -20 | sed 's/^/# /'
	fi
}

run "$SCRAPER" stats -d "$DB"
golden stats.table "per site and in total, every kind of failure (golden table)"
run "$SCRAPER" stats -d "$DB" -f json
golden stats.json "the same as JSON (golden)"
is "$(ls -A "$T/db")" "stats.db" "stats leaves nothing beside the database"

# An empty database (a crawl of nothing): zeros, no sites, and no error.
run "$SCRAPER" crawl -q -c "$top_srcdir/config/demo" -d "$T/db/empty.db" "$T/empty.urls"
run "$SCRAPER" stats -d "$T/db/empty.db"
is "$status:$(printf '%s' "$out" | head -2 | tr -s ' ')" "0:total: 0 sites
 pages 0 0 ok, 0 failed, 0 skipped (0 robots.txt, 0 limit)" "an empty database: zero everything"
run "$SCRAPER" stats -d "$T/db/empty.db" -f json
like "$out" '^\{"sites":\[\],' "an empty database as JSON: no sites"
like "$out" '"elapsed_ms":\{"count":0,"median":null,"p95":null\}' "and no fetch times"

# More error kinds than the table lists: the rest counted, with the right plural.
run "$SCRAPER" crawl -q -c "$top_srcdir/config/demo" -d "$T/db/kinds.db" "$T/empty.urls"
"$SQLITE3" "$T/db/kinds.db" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 11)
	INSERT INTO pages(url, site, status, depth, fetched_at, error)
	SELECT 'http://k.test/' || i, 'k.test', NULL, 0, '2026-03-01T10:00:00.000Z', 'kind ' || i FROM n"
run "$SCRAPER" stats -d "$T/db/kinds.db"
like "$out" '\.\.\. and 1 more kind \(-f json lists all\)' "one kind beyond the ten listed: '1 more kind'"

# Errors of the database itself.
run "$SCRAPER" stats -d "$T/db/missing.db"
is "$status" 1 "a missing database exits 1"
check "and is not created" test ! -e "$T/db/missing.db"
"$SQLITE3" "$T/db/other.db" "CREATE TABLE t(x)"
run "$SCRAPER" stats -d "$T/db/other.db"
is "$status" 1 "a database without a pages table exits 1"
like "$err" "not a scraper database" "and says so"

# A real crawl where pages fail in several ways.
mkdir -p "$T/site" "$T/rules"
printf 'User-agent: *\nDisallow: /private/\n' >"$T/site/robots.txt"
cat >"$T/site/index.html" <<'EOF'
<html><head><title>Home</title></head><body>
<a href="/ok.html">ok</a> <a href="/missing.html">missing</a> <a href="/broken.html">broken</a>
<a href="/reset.html">reset</a> <a href="/loop.html">loop</a> <a href="/stall.html">stall</a>
<a href="/private/secret.html">private</a>
</body></html>
EOF
printf '<html><head><title>OK</title></head><body>fine</body></html>\n' >"$T/site/ok.html"
cat >"$T/routes" <<'EOF'
/missing.html status=404
/broken.html status=500
/reset.html reset
/loop.html status=302 location=/loop.html
/stall.html stall
EOF
cat >"$T/rules/site.yaml" <<'EOF'
site: "127.0.0.1"
concurrency: 4
delay: 0
robots: obey
retries: 0
timeout: 1
follow:
  - "css: a::attr(href)"
items:
  page:
    fields:
      title: "css: title::text"
EOF
start_server PORT --root "$T/site" --routes "$T/routes"
# A second site that is down: its robots.txt cannot be fetched.
start_server DEAD --root "$T/site"
kill "$DEAD_PID"
wait "$DEAD_PID" 2>/dev/null
printf 'http://127.0.0.1:%s/index.html\nhttp://127.0.0.1:%s/index.html\n' "$PORT" "$DEAD" >"$T/urls"
run "$SCRAPER" crawl -c "$T/rules" -d "$T/db/crawl.db" "$T/urls"
is "$status" 0 "the crawl with failures finishes"
cp "$T/err" "$T/crawl.summary"

run "$SCRAPER" stats -d "$T/db/crawl.db" -f json
json=$out
site=$(printf '%s\n' "$json" | grep "\"site\":\"127.0.0.1:$PORT\"")
like "$site" '"pages":\{"total":8,"ok":2,"failed":5,"skipped":1,"skipped_robots":1,"skipped_limit":0\}' \
     "the live site: 2 ok, 5 failed, 1 skipped (robots.txt)"
like "$site" '\{"reason":"HTTP 404","count":1\}.*' "a 404 counts as HTTP 404"
like "$site" '\{"reason":"HTTP 500","count":1\}' "a 500 as HTTP 500"
like "$site" '\{"reason":"redirect loop after [0-9]+ redirects","count":1\}' "a redirect loop"
like "$site" '\{"reason":"Timeout was reached","count":1\}' "a stalled response as a timeout"
like "$site" '\{"reason":"(Failure when receiving data from the peer|Server returned nothing|Recv failure)","count":1\}' \
     "a reset connection as curl's kind of error, without the details"
like "$site" '\{"reason":"disallowed by robots.txt","count":1\}' "a page robots.txt disallows"
dead=$(printf '%s\n' "$json" | grep "\"site\":\"127.0.0.1:$DEAD\"")
like "$dead" '"pages":\{"total":1,"ok":0,"failed":0,"skipped":1,"skipped_robots":1,"skipped_limit":0\}.*"reason":"robots.txt unavailable","count":1' \
     "the dead site: robots.txt unavailable, so nothing allowed"
agree "$T/crawl.summary" "failures of every kind: stats and the summary agree"
run "$SCRAPER" stats -d "$T/db/crawl.db"
like "$out" "total: 2 sites" "the table says how many sites"
run "$SCRAPER" stats -d "$T/db/empty.db"
like "$out" "total: 0 sites" "and 0 sites"

start_server DEMO --root "$top_srcdir/tests/demo-site"
echo "http://127.0.0.1:$DEMO/index.html" >"$T/demo.urls"
run "$SCRAPER" crawl -c "$top_srcdir/config/demo" -d "$T/db/demo.db" "$T/demo.urls"
cp "$T/err" "$T/demo.summary"
run "$SCRAPER" stats -d "$T/db/demo.db" -f json
is "$(stats_counts "$out")" "$(summary_counts "$T/demo.summary")" \
   "a whole crawl: stats and the summary agree on ok, failed, skipped (robots.txt)"
run "$SCRAPER" crawl -c "$top_srcdir/config/demo" -d "$T/db/limited.db" --max-pages 5 "$T/demo.urls"
cp "$T/err" "$T/limited.summary"
run "$SCRAPER" stats -d "$T/db/limited.db" -f json
like "$(printf '%s' "$out" | grep '^"total"')" '"pages":\{"total":[0-9]+,"ok":5,"failed":0,"skipped":([1-9][0-9]*),"skipped_robots":0,"skipped_limit":\1\}' \
     "after --max-pages 5: 5 ok, and what the limit left is skipped (limit)"
agree "$T/limited.summary" "after --max-pages: stats and the summary agree"
run "$SCRAPER" stats -d "$T/db/limited.db"
like "$out" "total: 1 site
  pages  +[0-9]+  5 ok, 0 failed, [0-9]+ skipped \(0 robots.txt, [0-9]+ limit\)" "the table says 1 site, and the same words"

done_testing
