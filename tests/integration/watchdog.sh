# watchdog.sh: pages and workers that would hang a site, each ended in bounded time
# with the reason recorded.
#
#   - a worker stopped with SIGSTOP is killed by the coordinator's watchdog; its URL
#     counts a strike and a fresh worker fetches it;
#   - a worker that stops answering (the fake worker's "hang") is killed when it has
#     been silent longer than its rules allow;
#   - a page whose XPath is quadratic on 20,000 paragraphs is cut by its CPU budget
#     (max_page_cpu, SIGXCPU) and fails at the third worker it takes down; the site's
#     other pages are stored;
#   - an allow regex that backtracks gives up per link, is reported like a field's re,
#     and stops being tried on that page; a page of 30,000 links has only the first
#     20,000 looked at, and says so;
#   - a page that needs more memory than max_memory_mb fails in those words.
. "$top_srcdir/tests/lib.sh"

plan 16

elapsed_since() { echo $(( $(date +%s) - $1 )); }

mkdir -p "$T/pages"
printf '/held* gate=%s\n' "$T/gate" >"$T/routes"
for p in slow links regex big; do
	printf '/%s file=%s type=text/html\n' "$p" "$T/pages/$p.html" >>"$T/routes"
done
awk 'BEGIN { print "<html><head><title>slow</title></head><body>";
	     for (i = 0; i < 20000; i++) print "<p>paragraph " i "</p>"; print "</body></html>" }' >"$T/pages/slow.html"
awk 'BEGIN { print "<html><head><title>links</title></head><body>";
	     for (i = 0; i < 30000; i++) print "<a href=\"http://elsewhere.invalid/" i "\">x</a>"; print "</body></html>" }' >"$T/pages/links.html"
awk 'BEGIN { print "<html><head><title>regex</title></head><body>";
	     for (i = 0; i < 2000; i++) print "<a href=\"/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" i "!\">x</a>"; print "</body></html>" }' >"$T/pages/regex.html"
awk 'BEGIN { print "<html><head><title>big</title></head><body>";
	     for (i = 0; i < 900000; i++) print "<p>a</p>"; print "</body></html>" }' >"$T/pages/big.html"
start_server S --gen 10 --routes "$T/routes" --log "$T/s.log"

# concurrency 1: one worker per site (a delay-0 site on idle cores would otherwise get
# a second worker, which could fetch the URL the test means to hold in the first).
mkdir -p "$T/rules"
cat >"$T/rules/site.yaml" <<EOF
site: "127.0.0.1"
robots: ignore
delay: 0
concurrency: 1
retries: 0
timeout: 2
max_page_cpu: 1
max_memory_mb: 64
follow:
  - css: "a::attr(href)"
    allow: "^http://[^/]+/(a|aa)+$"
items:
  page:
    fields:
      title: "css: title::text"
  slow:
    match: "/slow$"
    fields:
      late: "xpath: //p[count(preceding::p) > 100000]"
EOF

# ---- SIGSTOP: killed after the grace, the URL fetched by the next worker ----
echo "http://127.0.0.1:$S/held/1" >"$T/urls-held"
start=$(date +%s)
"$SCRAPER" crawl -c "$T/rules" -d "$T/held.db" "$T/urls-held" 2>"$T/held.err" &
crawl=$!
wait_for_paths "$T/s.log" /held 1 $crawl
worker=$(pgrep -x -P $crawl scraper-worker | head -1)
kill -STOP "$worker"
echo open >"$T/gate"
wait $crawl
is "$?" 0 "sigstop: the crawl finishes"
like "$(cat "$T/held.err")" "worker $worker for 127.0.0.1:$S stopped \(SIGSTOP\) for more than 5 s; killing it" \
     "sigstop: the watchdog kills the stopped worker, saying why"
is "$(sql "$T/held.db" "SELECT state || ':' || coalesce(status, '') FROM frontier JOIN pages USING (url)")" "done:200" \
   "sigstop: a fresh worker fetches the URL"
t=$(elapsed_since $start)
check "sigstop: in bounded time ($t s)" [ "$t" -lt 30 ]

# ---- a worker that answers nothing: killed when silent past its limit ----
echo "http://127.0.0.1:$S/gen/1.html" >"$T/urls-hang"
start=$(date +%s)
SCRAPER_WORKER_EXEC="$top_builddir/tests/fakeworker" FAKE_WORKER_MODE=hang \
FAKE_WORKER_SITE="127.0.0.1:$S" FAKE_WORKER_REAL="$SCRAPER" FAKE_WORKER_ONCE="$T/once" \
	run "$SCRAPER" crawl -c "$T/rules" -d "$T/hang.db" "$T/urls-hang"
like "$err" "sent nothing for [0-9]+ s with 1 URL in flight; killing it" "hang: the watchdog kills the silent worker"
is "$(sql "$T/hang.db" "SELECT state FROM frontier WHERE url LIKE '%/gen/1.html'")" done \
   "hang: the URL is fetched by the next worker"
t=$(elapsed_since $start)
check "hang: in bounded time ($t s)" [ "$t" -lt 40 ]

# ---- quadratic XPath: cut by the CPU budget, failed at the third strike ----
printf 'http://127.0.0.1:%s/slow\nhttp://127.0.0.1:%s/gen/2.html\n' "$S" "$S" >"$T/urls-slow"
# A longer timeout here puts the watchdog's silence limit (twice the timeout and more)
# far past the CPU budget's wall time, however loaded the machine: the budget is what
# this part tests.
mkdir -p "$T/rules-slow"
sed 's/^timeout: 2$/timeout: 20/' "$T/rules/site.yaml" >"$T/rules-slow/site.yaml"
start=$(date +%s)
run "$SCRAPER" crawl -c "$T/rules-slow" -d "$T/slow.db" "$T/urls-slow"
like "$(sql "$T/slow.db" "SELECT state || ': ' || error FROM frontier WHERE url LIKE '%/slow'")" \
     "^failed: worker crashed 3 times with this URL in flight \(last: killed: a page took more CPU time than max_page_cpu allows" \
     "slow xpath: the page fails, naming the CPU budget"
is "$(sql "$T/slow.db" "SELECT state FROM frontier WHERE url LIKE '%/gen/2.html'")" done "slow xpath: the site's other page is stored"
t=$(elapsed_since $start)
check "slow xpath: in bounded time ($t s)" [ "$t" -lt 60 ]

# ---- a backtracking allow regex, and the link cap ----
printf 'http://127.0.0.1:%s/regex\nhttp://127.0.0.1:%s/links\n' "$S" "$S" >"$T/urls-re"
start=$(date +%s)
run "$SCRAPER" crawl -c "$T/rules" -d "$T/re.db" "$T/urls-re"
like "$err" "follow: allow regex gave up \(match limit\) 10 times on this page" \
     "regex: the allow regex giving up is reported, and stops being tried"
like "$err" "the page has more than 20000 links; the 10000 after the first 20000 were not looked at" \
     "links: the link cap is reported when it bites"
is "$(sql "$T/re.db" "SELECT group_concat(state || ':' || (extract_errors > 0), ',') FROM (SELECT * FROM frontier JOIN pages USING (url) ORDER BY url)")" \
   "done:1,done:1" "regex, links: both pages stored, with their problems counted"
t=$(elapsed_since $start)
check "regex, links: in bounded time ($t s)" [ "$t" -lt 30 ]

# ---- a page that needs more memory than max_memory_mb ----
if grep -q '^#define SCRAPER_SANITIZERS' "$top_builddir/config.h" 2>/dev/null; then
	ok "# SKIP sanitizer build: no memory limit"
	ok "# SKIP sanitizer build: no memory limit"
else
	printf 'http://127.0.0.1:%s/big\nhttp://127.0.0.1:%s/gen/3.html\n' "$S" "$S" >"$T/urls-big"
	run "$SCRAPER" crawl -c "$T/rules" -d "$T/big.db" "$T/urls-big"
	like "$(sql "$T/big.db" "SELECT state || ': ' || error FROM frontier WHERE url LIKE '%/big'")" \
	     "^failed: worker crashed 3 times with this URL in flight \(last: ran out of memory: a page needed more than its max_memory_mb allows" \
	     "memory: the page fails, saying it needed more memory"
	is "$(sql "$T/big.db" "SELECT state FROM frontier WHERE url LIKE '%/gen/3.html'")" done "memory: the site's other page is stored"
fi

done_testing
