# pg-limits.sh: page limits hold across the nodes sharing one PostgreSQL database.
#
# --max-pages: six generated sites, three nodes with --max-pages 200 and two workers
# each (so each claims two sites); n3 starts once the others have stored 30 pages.
# The cluster fetches (the servers' logs) and stores exactly 200 pages, n3 among them,
# every node ends with exit 0, and what is left is skipped for the page limit.
#
# A site's max_pages: one site with max_pages 40 in a second database; m1 crawls it
# alone, m2 and m3 start once it has fetched 5 pages (so their start-up count is 5),
# m1 is stopped (SIGTERM: it lets its lease go) after 15; the node that takes the site
# over learns its 15 done pages from the database and stops at 40 in all.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/pglib.sh"

pg_require 12
pg_start

# ---- --max-pages across three nodes ----
N=60
S=6
L=200
: >"$T/urls"
logs=
for i in $(seq 1 $S); do
	start_server P$i --gen $N --log "$T/s$i.log"
	eval "echo \"http://127.0.0.1:\$P$i/gen/0.html\"" >>"$T/urls"
	logs="$logs $T/s$i.log"
done
gen_rules "$T/rules"
sed -i 's/^concurrency: 4/concurrency: 1/; s/^delay: 0$/delay: 0.05/' "$T/rules/gen.yaml"

node() { # node NAME DB RULES URLS [OPTIONS...]
	nd_name=$1 nd_db=$2 nd_rules=$3 nd_urls=$4
	shift 4
	"$SCRAPER" crawl -q -c "$nd_rules" -d "$nd_db" --node "$nd_name" --lease-s 3 --workers 2 "$@" \
		"$nd_urls" 2>"$T/$nd_name.err" &
	eval "$nd_name=\$!"
}

RUN_TIMEOUT=120
node n1 "$PGURI" "$T/rules" "$T/urls" --max-pages $L
node n2 "$PGURI" "$T/rules" "$T/urls" --max-pages $L
wait_pages "$PGURI" 30
node n3 "$PGURI" "$T/rules" "$T/urls" --max-pages $L
# A node given another budget is refused while the others crawl: --max-pages is theirs.
run "$SCRAPER" crawl -q -c "$T/rules" -d "$PGURI" --node n4 --max-pages $((L / 2)) "$T/urls"
like "$status:$err" "^1:.*other limits" "--max-pages: a node started with another value is refused"
wait "$n1"
s1=$?
wait "$n2"
s2=$?
wait "$n3"
s3=$?
is "$s1:$s2:$s3" "0:0:0" "--max-pages: the three nodes end, exit 0"
fetched=0
for f in $logs; do
	fetched=$((fetched + $(count_paths "$f" /gen/)))
done
is "$fetched" $L "--max-pages: the cluster fetched $L pages in all"
is "$(psql_q "SELECT count(*), count(DISTINCT url), count(*) FILTER (WHERE status = 200) FROM pages WHERE status IS NOT NULL")" \
   "$L|$L|$L" "--max-pages: $L pages stored, once each"
diag "pages fetched by node: $(psql_q "SELECT string_agg(node || ' ' || n, ', ' ORDER BY node) FROM (SELECT node, count(*) AS n FROM pages WHERE status IS NOT NULL GROUP BY node) x")"
check "--max-pages: n3, started later, fetched some of what was left" \
	test "$(psql_q "SELECT count(*) FROM pages WHERE node = 'n3' AND status IS NOT NULL")" -gt 0
is "$(psql_q "SELECT count(*) FROM frontier WHERE state IN ('queued', 'inflight')")" 0 \
   "--max-pages: nothing left queued or in flight"
check "--max-pages: the rest is skipped for the page limit" \
	test "$(psql_q "SELECT count(*) FROM frontier WHERE state = 'skipped' AND error LIKE 'not fetched: page limit%'")" -gt 0

# ---- a site's max_pages across a takeover ----
psql_q "CREATE DATABASE b" >/dev/null
DB2=$(echo "$PGURI" | sed 's|/postgres?|/b?|')
M=40
start_server Q --gen 200 --log "$T/q.log"
echo "http://127.0.0.1:$Q/gen/0.html" >"$T/urls2"
gen_rules "$T/rules2" "max_pages: $M"
sed -i 's/^concurrency: 4/concurrency: 1/; s/^delay: 0$/delay: 0.02/' "$T/rules2/gen.yaml"
node m1 "$DB2" "$T/rules2" "$T/urls2"
wait_for_paths "$T/q.log" /gen/ 5 "$m1"
wait_pages "$DB2" 5
node m2 "$DB2" "$T/rules2" "$T/urls2"
node m3 "$DB2" "$T/rules2" "$T/urls2"
wait_pages "$DB2" 15
kill -TERM "$m1"
wait "$m1"
wait "$m2"
s2=$?
wait "$m3"
s3=$?
is "$s2:$s3" "0:0" "max_pages: the other two nodes end, exit 0"
is "$(psql -X -q -A -t -d "$DB2" -c "SELECT count(*) FROM pages WHERE status IS NOT NULL")" $M \
   "max_pages: $M pages stored in all"
check "max_pages: another node took the site over" \
	test "$(psql -X -q -A -t -d "$DB2" -c "SELECT count(*) FROM pages WHERE node <> 'm1' AND status IS NOT NULL")" -gt 0
# m1 may have had one page in flight when it was stopped: fetched again by the other.
fetched=$(count_paths "$T/q.log" /gen/)
check "max_pages: $M pages fetched, or one more (m1's in flight; got $fetched)" \
	test "$fetched" -ge $M -a "$fetched" -le $((M + 1))
is "$(psql -X -q -A -t -d "$DB2" -c "SELECT count(*) FROM frontier WHERE state IN ('queued', 'inflight')")" 0 \
   "max_pages: nothing left queued or in flight"
done_testing
