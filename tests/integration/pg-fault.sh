# pg-fault.sh: PostgreSQL stopped for 10 s in the middle of a crawl (pg_ctl stop -m
# fast, then start): the node waits, reconnects, applies its open transaction again
# and goes on; nothing is lost or stored twice, and it exits 0.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/pglib.sh"

pg_require 5
pg_start

N=300
start_server G --gen $N --log "$T/g.log"
gen_rules "$T/rules"
# 30 ms between requests: about 9 s of crawling, so the outage comes in the middle.
sed -i 's/^concurrency: 4/concurrency: 1/; s/^delay: 0$/delay: 0.03/' "$T/rules/gen.yaml"
echo "http://127.0.0.1:$G/gen/0.html" >"$T/urls"

"$SCRAPER" crawl -c "$T/rules" -d "$PGURI" --node solo "$T/urls" 2>"$T/crawl.err" &
crawl=$!
i=0
while n=$(psql_q "SELECT count(*) FROM pages" 2>/dev/null); [ "${n:-0}" -lt 30 ] && [ $i -lt 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
pg_stop
sleep 10
pg_restart
RUN_TIMEOUT=120
wait $crawl
is "$?" 0 "the crawl exits 0 after the outage"
check "it said it lost the connection and reconnected" \
	grep -q "reconnected to PostgreSQL" "$T/crawl.err"
is "$(psql_q "SELECT count(*), count(DISTINCT url), count(*) FILTER (WHERE status = 200) FROM pages")" \
   "$N|$N|$N" "every page stored, once"
is "$(psql_q "SELECT count(*), count(DISTINCT url) FROM gen")" "$N|$N" "every item stored, once"
is "$(psql_q "SELECT count(*) FROM frontier WHERE state <> 'done'")" 0 "nothing left queued or in flight"
done_testing
