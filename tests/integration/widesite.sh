# widesite.sh: one site on every core.  A site with delay 0 and no Crawl-delay, crawled
# alone on a machine with more cores than sites at work, runs several worker processes
# that split its concurrency: never more than `concurrency` requests out at once, every
# page stored once.  With a delay, one worker keeps the pace.
. "$top_srcdir/tests/lib.sh"

plan 9

N=200
# Twenty pages answered, then the rest held until the test has counted the workers.
printf '/gen/* gate=%s\n' "$T/gate" >"$T/routes"
echo 20 >"$T/gate"
start_server A --gen $N --routes "$T/routes" --log "$T/a.log"
gen_rules "$T/rules"
# Held answers must not time out while the test counts.
sed 's/^timeout: 10$/timeout: 60/' "$T/rules/gen.yaml" >"$T/rules/x" && mv "$T/rules/x" "$T/rules/gen.yaml"
echo "http://127.0.0.1:$A/gen/0.html" >"$T/urls"

"$SCRAPER" crawl -vv -c "$T/rules" -d "$T/db" "$T/urls" 2>"$T/err" &
crawl=$!
wait_for_paths "$T/a.log" /gen/ 21 $crawl
most=0
i=0
while [ $i -lt 100 ]; do
	n=$(workers_of $crawl)
	[ "$n" -gt "$most" ] && most=$n
	[ "$most" -ge 2 ] && break
	sleep 0.1
	i=$((i + 1))
done
is "$([ "$most" -ge 2 ] && echo yes || echo "$most")" yes "delay 0, one site: 2 or more worker processes at once"
echo open >"$T/gate"
wait $crawl
is "$?" 0 "the crawl exits 0"
cat "$T/err" >>"$T/stderr.all"
is "$(count_paths "$T/a.log" /gen/):$(dup_paths "$T/a.log")" "$N:0" "all $N pages requested, none twice"
is "$(sql "$T/db" "SELECT count(*), count(DISTINCT url), sum(status = 200) FROM pages")" \
   "$N|$N|$N" "$N pages stored, each once, all 200"
# The log's third field: requests in flight when this one came in.
is "$(awk -F'\t' '$3 > m { m = $3 } END { print (m <= 4 && m > 0) ? "ok" : m }' "$T/a.log")" ok \
   "the server never saw more than the site's concurrency (4) at once"
started=$(grep -c "started worker" "$T/err")
is "$([ "$started" -ge 2 ] && echo yes || echo "$started")" yes "the debug log: 2 or more workers started"

# A polite delay: one worker.
start_server B --gen 15 --log "$T/b.log"
gen_rules "$T/slow"
sed 's/^delay: 0$/delay: 0.2/' "$T/slow/gen.yaml" >"$T/slow/x" && mv "$T/slow/x" "$T/slow/gen.yaml"
echo "http://127.0.0.1:$B/gen/0.html" >"$T/urls-b"
run "$SCRAPER" crawl -vv -c "$T/slow" -d "$T/db-b" "$T/urls-b"
is "$status" 0 "delay 0.2: the crawl exits 0"
is "$(grep -c "started worker" "$T/err")" 1 "delay 0.2: one worker"
is "$(sql "$T/db-b" "SELECT count(*), count(DISTINCT url) FROM pages")" "15|15" \
   "delay 0.2: 15 pages stored, each once"

done_testing
