# core.sh: the crawl core's defects that a close review found, one part each.  Every
# part failed before its fix (see the commit that brought it); the gate= routes of the
# test server hold pages until the test says, so nothing here depends on timing.
. "$top_srcdir/tests/lib.sh"

plan 42

# rules DIR [LINES...]: a rule file for the test server's --gen pages with the given
# settings (every link followed, one item per page).
rules() {
	_d=$1
	shift
	mkdir -p "$_d"
	{
		echo 'site: "127.0.0.1"'
		echo 'delay: 0'
		echo 'timeout: 10'
		printf '%s\n' "$@"
		echo 'follow:'
		echo '  - "css: a::attr(href)"'
		echo 'items:'
		echo '  gen:'
		echo '    fields:'
		echo '      name: { css: "h1.name::text", required: true }'
	} >"$_d/gen.yaml"
}

printf '/gen/* gate=%s\n' "$T/gate" >"$T/gated.routes"
start_server G --gen 40 --log "$T/g.log"
start_server H --gen 40 --routes "$T/gated.routes" --log "$T/h.log"
rules "$T/rules" "concurrency: 4" "retries: 0"
echo "http://127.0.0.1:$G/gen/0.html" >"$T/urls"
echo "http://127.0.0.1:$H/gen/0.html" >"$T/urls-h"

# 1. A worker that dies after a page's LINKS and before its DONE: the links were
# marked seen and lost with the page (1 of 40 pages, exit 0).  Now they enter the
# frontier only with the page's DONE, so the page is fetched again with its links.
SCRAPER_WORKER_EXEC="$top_builddir/tests/fakeworker" FAKE_WORKER_MODE=linksdie \
FAKE_WORKER_SITE="127.0.0.1:$G" FAKE_WORKER_REAL="$SCRAPER" FAKE_WORKER_ONCE="$T/once" \
	run "$SCRAPER" crawl -c "$T/rules" -d "$T/links.db" "$T/urls"
is "$status" 0 "links, then death before DONE: the crawl finishes"
check "links, then death before DONE: the first worker did die so" test -e "$T/once"
is "$(sql "$T/links.db" "SELECT count(*) FROM pages WHERE status = 200")" 40 \
   "links, then death before DONE: every page is still crawled"

# 2. --recrawl --max-pages 3 after a full crawl turned every other page row into "not
# fetched: page limit reached" (INSERT OR REPLACE over a stored page).
run "$SCRAPER" crawl -q -c "$T/rules" -d "$T/recrawl.db" "$T/urls"
run "$SCRAPER" crawl -q --recrawl --max-pages 3 -c "$T/rules" -d "$T/recrawl.db" "$T/urls"
is "$status" 0 "recrawl with a page limit: exit 0"
is "$(sql "$T/recrawl.db" "SELECT count(*) FROM pages WHERE status = 200")" 40 \
   "recrawl with a page limit: every stored page keeps its record"
is "$(sql "$T/recrawl.db" "SELECT count(*) FROM pages WHERE error LIKE 'not fetched%'")" 0 \
   "recrawl with a page limit: none is turned into 'not fetched'"
is "$(sql "$T/recrawl.db" "SELECT state, count(*) FROM frontier GROUP BY state")" "done|40" \
   "recrawl with a page limit: the frontier goes back to done"
is "$(sql "$T/recrawl.db" "SELECT count(*) FROM gen")" 40 "recrawl with a page limit: the items stay"

# 3. A huge Retry-After overflowed a long (undefined behaviour; under UBSan the worker
# died).  Past the 300 s scraper waits, the URL fails with words that say so.
cat >"$T/ra.routes" <<'ROUTES'
/later status=503 retry-after=99999999999999 body="<html><title>Later</title></html>"
/soon seq=503,200 retry-after=1 body="<html><title>Soon</title></html>"
ROUTES
start_server RA --routes "$T/ra.routes" --log "$T/ra.log"
rules "$T/rules-ra" "retries: 3"
printf 'http://127.0.0.1:%s/later\nhttp://127.0.0.1:%s/soon\n' "$RA" "$RA" >"$T/urls-ra"
run "$SCRAPER" crawl -q -c "$T/rules-ra" -d "$T/ra.db" "$T/urls-ra"
is "$status" 0 "huge Retry-After: the crawl finishes"
like "$(sql "$T/ra.db" "SELECT error FROM pages WHERE url LIKE '%/later'")" \
     "Retry-After.*longer than the 300 s scraper waits; not retried" \
     "huge Retry-After: the URL fails, saying why"
is "$(count_paths "$T/ra.log" /later)" 1 "huge Retry-After: asked once, not retried"
is "$(sql "$T/ra.db" "SELECT status FROM pages WHERE url LIKE '%/soon'")" 200 \
   "a Retry-After within the limit is still honoured"

# 4. Workers read the rule file by path when they started: an edit during the crawl
# gave them other rules than the coordinator's, and an invalid edit crashed every
# worker of the site.  The rules now travel in SITE.  Site H (gated) runs first with
# one worker slot; the file is broken while H holds the slot; G starts after it.
rules "$T/rules-edit" "concurrency: 2" "retries: 0"
cat "$T/urls-h" "$T/urls" >"$T/urls-hg"
rm -f "$T/gate"
"$SCRAPER" crawl -q --workers 1 -c "$T/rules-edit" -d "$T/edit.db" "$T/urls-hg" 2>"$T/edit.err" &
crawl=$!
wait_for_paths "$T/h.log" /gen/ 1 $crawl
printf 'site: [unclosed\n' >"$T/rules-edit/gen.yaml"
echo open >"$T/gate"
wait $crawl
is "$?" 0 "rule file broken mid-crawl: the crawl finishes"
is "$(sql "$T/edit.db" "SELECT site LIKE '%:$G', count(*) FROM pages WHERE status = 200 GROUP BY 1 ORDER BY 1")" \
   "0|40
1|40" "rule file broken mid-crawl: both sites are crawled with the rules the crawl started with"
check "rule file broken mid-crawl: no worker fails to set up" \
      sh -c "! grep -q 'cannot set up\|lost' '$T/edit.err'"

# 5. robots.txt bodies had no limit of their own (only max_bytes), and every site's
# body sat in the coordinator's memory from start-up.  RFC 9309 asks for 500 KiB.
{
	printf 'User-agent: *\nDisallow: /private/\n'
	i=0
	while [ $i -lt 40000 ]; do
		printf '# a comment line to make this robots.txt large: %08d\n' $i
		i=$((i + 1))
	done
} >"$T/big-robots.txt"
printf '/robots.txt file=%s type=text/plain\n/private/x body="<html><title>secret</title></html>"\n' \
	"$T/big-robots.txt" >"$T/rb.routes"
start_server RB --gen 5 --routes "$T/rb.routes" --log "$T/rb.log"
printf 'http://127.0.0.1:%s/gen/0.html\nhttp://127.0.0.1:%s/private/x\n' "$RB" "$RB" >"$T/urls-rb"
rules "$T/rules-rb" "retries: 0" "robots: obey"
run "$SCRAPER" crawl -q -c "$T/rules-rb" -d "$T/rb.db" "$T/urls-rb"
is "$status:$(sql "$T/rb.db" "SELECT length(body) <= 512000 FROM robots")" "0:1" \
   "a 2 MB robots.txt is read and kept up to its own 500 KiB limit"
is "$(count_paths "$T/rb.log" /private/)" 0 "and its rules are obeyed"

# 6. A site's page limit abandoned its pending retries: the URL that waited to retry
# was settled as skipped although it had been counted against the limit.
printf '/flaky seq=500,200 body="<html><title>Flaky</title></html>"\n' >"$T/fl.routes"
start_server FL --gen 40 --routes "$T/fl.routes" --log "$T/fl.log"
printf 'http://127.0.0.1:%s/flaky\nhttp://127.0.0.1:%s/gen/0.html\n' "$FL" "$FL" >"$T/urls-fl"
rules "$T/rules-fl" "concurrency: 1" "retries: 2" "max_pages: 3"
run "$SCRAPER" crawl -q -c "$T/rules-fl" -d "$T/fl.db" "$T/urls-fl"
is "$status" 0 "page limit with a retry pending: exit 0"
is "$(sql "$T/fl.db" "SELECT status FROM pages WHERE url LIKE '%/flaky'")" 200 \
   "page limit with a retry pending: the retry still runs"
is "$(count_paths "$T/fl.log" /flaky)" 2 "page limit with a retry pending: asked twice, as the rules say"

# 7. A URL file that cannot be read stops the crawl before anything is taken in (a
# second bad file used to come after the first file's seed batches were stored, and
# --fresh had already forgotten the frontier).
i=0
while [ $i -lt 1500 ]; do
	echo "http://127.0.0.1:$G/seed/$i.html"
	i=$((i + 1))
done >"$T/many.urls"
run "$SCRAPER" crawl -q --fresh -c "$T/rules" -d "$T/links.db" "$T/many.urls" "$T/missing.urls"
is "$status" 2 "a missing second URL file: exit 2"
like "$err" "cannot read the URL file .*missing.urls" "a missing second URL file: it says which"
is "$(sql "$T/links.db" "SELECT count(*), sum(url LIKE '%/seed/%') FROM frontier")" "40|0" \
   "a missing second URL file: nothing is taken in, and --fresh forgot nothing"

# 8. One crawl per database: a second crawl on a database that a running crawl holds
# fetched beside it.  It now stops at once, naming the holder; reading still works;
# a crawl killed with kill -9 leaves no lock behind.
rm -f "$T/gate"
: >"$T/h.log"
"$SCRAPER" crawl -q -c "$T/rules" -d "$T/one.db" "$T/urls-h" 2>"$T/one.err" &
crawl=$!
wait_for_paths "$T/h.log" /gen/ 1 $crawl
run "$SCRAPER" crawl -q -c "$T/rules" -d "$T/one.db" "$T/urls-h"
is "$status" 1 "a second crawl on a busy database: exit 1"
like "$err" "in use by another crawl \\(process $crawl\\)" "a second crawl on a busy database: it names the holder"
run "$SCRAPER" query -d "$T/one.db" "SELECT count(*) FROM frontier"
is "$status" 0 "query works during a crawl"
kill -KILL $crawl
wait $crawl 2>/dev/null
echo open >"$T/gate"
run "$SCRAPER" crawl -q -c "$T/rules" -d "$T/one.db" "$T/urls-h"
is "$status:$(sql "$T/one.db" "SELECT count(*) FROM pages WHERE status = 200")" "0:40" \
   "after kill -9 of the holder, the next crawl takes the database"

# 9. Signals as shells and timeout(1) deliver them: to the whole process group, so
# the coordinator sees the same request twice (and the workers see it too).  That
# used to count as a second signal: exit at once, no summary.
rm -f "$T/gate"
: >"$T/h.log"
setsid "$SCRAPER" crawl -c "$T/rules" -d "$T/sig.db" "$T/urls-h" 2>"$T/sig.err" &
crawl=$!
wait_for_paths "$T/h.log" /gen/ 1 $crawl
pgid=$(ps -o pgid= -p $crawl | tr -d ' ')
kill -TERM -- "-$pgid"
kill -TERM -- "-$pgid"
echo open >"$T/gate"
wait $crawl
is "$?" 143 "SIGTERM to the process group, twice: exit 143"
like "$(cat "$T/sig.err")" "crawl stopped: .* ok, " "SIGTERM to the process group, twice: a graceful stop with its summary"
like "$(cat "$T/sig.err")" "run the same command again to resume" "SIGTERM to the process group, twice: and how to resume"
check "SIGTERM to the process group, twice: not 'stopping at once'" \
      sh -c "! grep -q 'stopping at once' '$T/sig.err'"
check "SIGTERM to the process group, twice: no worker is lost" \
      sh -c "! grep -q 'lost' '$T/sig.err'"
run "$SCRAPER" crawl -q -c "$T/rules" -d "$T/sig.db" "$T/urls-h"
is "$status:$(sql "$T/sig.db" "SELECT count(*) FROM pages WHERE status = 200")" "0:40" \
   "the stopped crawl resumes and finishes"

# 10. A database that is not ours: crawl used to add its tables to it silently.
sql "$T/app.db" "CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users(name) VALUES ('ann');"
cp "$T/app.db" "$T/app.before"
run "$SCRAPER" crawl -q -c "$T/rules" -d "$T/app.db" "$T/urls"
is "$status" 1 "another program's database: exit 1"
like "$err" "is not a scraper database \\(it holds users\\)" "another program's database: it says so"
check "another program's database: not a byte changed" cmp -s "$T/app.db" "$T/app.before"

# --progress-fd: JSON lines for programs that watch a crawl (the service does).
run "$SCRAPER" crawl -q --progress-fd 3 -c "$T/rules" -d "$T/progress.db" "$T/urls" 3>"$T/progress.jsonl"
is "$status" 0 "--progress-fd: the crawl finishes"
like "$(head -n 1 "$T/progress.jsonl")" '^\{"event":"start","pid":[0-9]+,"db":".*progress.db"\}$' \
     "--progress-fd: the first line says the crawl started"
like "$(tail -n 1 "$T/progress.jsonl")" '^\{"event":"end","exit":0,"elapsed_s":[0-9.e+-]+,"done":40,"ok":40,"queued":0,"failed":0,' \
     "--progress-fd: the last line has the exit status and the totals"
is "$(grep -vc '^{"event":"\(start\|progress\|end\)",.*}$' "$T/progress.jsonl")" 0 \
   "--progress-fd: every line is one JSON object"
run "$SCRAPER" crawl -q --progress-fd 9 -c "$T/rules" -d "$T/progress2.db" "$T/urls"
is "$status" 2 "--progress-fd on a descriptor that is not open: exit 2"
run "$SCRAPER" crawl -q --progress-fd 1x -c "$T/rules" -d "$T/progress2.db" "$T/urls"
is "$status" 2 "--progress-fd with a bad number: exit 2"

done_testing
