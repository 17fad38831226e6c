# widesite.sh: one site on every core.  A site with delay 0 and no Crawl-delay, crawled
# alone on a machine with more cores than sites at work, runs several worker processes
# that split its concurrency: never more than `concurrency` requests out at once, every
# page stored once.  With a delay, one worker keeps the pace.
. "$top_srcdir/tests/lib.sh"

plan 13

# most_workers PID: the most worker processes PID had at once, looking until it has 2
# (workers start on their own schedule; the gated server holds the crawl meanwhile).
most_workers() {
	_most=0
	_i=0
	while [ $_i -lt 100 ]; do
		_n=$(workers_of "$1")
		[ "$_n" -gt "$_most" ] && _most=$_n
		[ "$_most" -ge 2 ] && break
		sleep 0.1
		_i=$((_i + 1))
	done
	echo "$_most"
}

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
most=$(most_workers $crawl)
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

# A 429 on a site spread over several workers: the others finish what they have
# started and leave the site to the one that got it, which spaces its requests
# (1 s at least).  Without that, the other workers went on at full speed.
N=30
{
	printf '/gen/* gate=%s seq=' "$T/gate-c"
	i=1
	while [ $i -lt 23 ]; do printf '200,'; i=$((i + 1)); done
	printf '429,200 retry-after=1 delay=300\n'
} >"$T/routes-c"
echo 20 >"$T/gate-c"
start_server C --gen $N --routes "$T/routes-c" --log "$T/c.log"
gen_rules "$T/rules-c"
sed -e "s/^timeout: 10$/timeout: 60/" -e "s/^retries: 0$/retries: 2/" "$T/rules-c/gen.yaml" >"$T/rules-c/x" && mv "$T/rules-c/x" "$T/rules-c/gen.yaml"
echo "http://127.0.0.1:$C/gen/0.html" >"$T/urls-c"
"$SCRAPER" crawl -vv -c "$T/rules-c" -d "$T/db-c" "$T/urls-c" 2>"$T/err-c" &
crawl=$!
wait_for_paths "$T/c.log" /gen/ 21 $crawl
most=$(most_workers $crawl)
is "$([ "$most" -ge 2 ] && echo yes || echo "$most")" yes "429 part: 2 or more worker processes before it"
echo open >"$T/gate-c"
wait $crawl
st=$?
is "$st:$(sql "$T/db-c" "SELECT count(*), sum(status = 200) FROM pages")" "0:$N|$N" \
   "429 part: the crawl exits 0 with all $N pages stored"
cat "$T/err-c" >>"$T/stderr.all"
# Requests from 1 s after the 429 came in (it is answered 0.3 s later; the rest is
# left to what the other workers started before the coordinator heard of it) come one
# at a time, at least 0.9 s apart.  Without the slow-down on every worker the others
# went on every 0.15 s.
gaps=$(awk -F'\t' '$6 == 429 { t = $1 } t && $1 > t + 1000000 && $5 ~ /^\/gen\// {
		if (last && $1 - last < 900000) short++; last = $1; n++ }
		END { print t ? n + 0 ":" short + 0 : "no 429" }' "$T/c.log")
is "$(case $gaps in *:0) [ "${gaps%:*}" -ge 2 ] && echo ok || echo "$gaps" ;; *) echo "$gaps" ;; esac)" ok \
   "after the 429 the site gets one request a second, from every worker (requests:gaps under 0.9 s)"
like "$(cat "$T/err-c")" "HTTP 429: the site goes back to one worker" "the debug log says so"

done_testing
