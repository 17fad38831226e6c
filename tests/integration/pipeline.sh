# pipeline.sh: a multi-site crawl: one worker process per site, every page stored once,
# links seen on many pages fetched once, scope.
. "$top_srcdir/tests/lib.sh"

plan 14

N=100
# Each server answers five pages, then holds the rest at the gate until the test has
# counted the workers (no timing luck: no site can finish before it is counted).
printf '/gen/* gate=%s\n' "$T/gate" >"$T/routes"
echo 5 >"$T/gate"
start_server C --gen $N --routes "$T/routes" --log "$T/c.log"
# D is linked from A's pages but never seeded: only scope any reaches it.
start_server D --gen 10 --log "$T/d.log"
start_server B --gen $N --routes "$T/routes" --log "$T/b.log"
start_server A --gen $N --routes "$T/routes" --log "$T/a.log" \
	--gen-link "http://127.0.0.1:$D/gen/0.html"
gen_rules "$T/rules"
for p in $A $B $C; do
	echo "http://127.0.0.1:$p/gen/0.html"
done >"$T/urls"

"$SCRAPER" crawl -q -c "$T/rules" -d "$T/db" "$T/urls" 2>"$T/err" &
crawl=$!
# Once every site has had five pages answered and its sixth is held, all three
# workers are running.
wait_for_paths "$T/a.log" /gen/ 6 $crawl
wait_for_paths "$T/b.log" /gen/ 6 $crawl
wait_for_paths "$T/c.log" /gen/ 6 $crawl
is "$(workers_of $crawl)" 3 "three sites crawled at once: three worker processes"
echo open >"$T/gate"
wait $crawl
is "$?" 0 "the crawl exits 0"

for s in a b c; do
	is "$(count_paths "$T/$s.log" /gen/):$(dup_paths "$T/$s.log")" "$N:0" \
	   "site $s: all $N pages requested, none twice"
done
is "$(sql "$T/db" "SELECT count(*), count(DISTINCT url), sum(status = 200) FROM pages")" \
   "300|300|300" "300 pages stored, each once, all 200"
is "$(sql "$T/db" "SELECT count(*), count(DISTINCT url) FROM gen")" "300|300" "300 items, one per page"
is "$(sql "$T/db" "SELECT site || ' ' || count(*) FROM pages GROUP BY site ORDER BY site" | awk '{print $2}' | tr '\n' ' ')" \
   "100 100 100 " "100 pages per site"
is "$(sql "$T/db" "SELECT count(*) FROM frontier WHERE state <> 'done'")" 0 "nothing left queued or in flight"
# Every page links to /gen/0.html and to itself: thousands of duplicate links in all.
is "$(sql "$T/db" "SELECT count(*) FROM frontier")" 300 "the frontier took each URL in once"
is "$(count_paths "$T/d.log" /gen/)" 0 "scope site: the other site linked from A is not crawled"
is "$(sql "$T/db" "SELECT count(*) FROM pages WHERE url LIKE 'http://127.0.0.1:$D/%'")" 0 \
   "scope site: nor is it in the database"

# scope: any follows the link to D and crawls D with the same rules.
gen_rules "$T/any" "scope: any"
echo "http://127.0.0.1:$A/gen/0.html" >"$T/urls-a"
run "$SCRAPER" crawl -q -c "$T/any" -d "$T/db-any" "$T/urls-a"
is "$status:$(count_paths "$T/d.log" /gen/)" "0:10" "scope any: the linked site's 10 pages are crawled"
is "$(sql "$T/db-any" "SELECT count(DISTINCT site) FROM pages")" 2 "scope any: two sites in the database"

done_testing
