# pg-nodes.sh: three nodes crawling one PostgreSQL database.  Six generated sites,
# three nodes (--node n1..n3, --lease-s 3); n3 is killed with kill -9 while it holds
# sites; the other two take its sites over when its leases lapse, and finish only when
# nothing is open anywhere.  Every page and every item is stored exactly once, and no
# two nodes crawled a site at once but through a takeover.  A fourth node with other
# rule files is refused.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/pglib.sh"

pg_require 10
pg_start

N=60
S=6
: >"$T/urls"
for i in $(seq 1 $S); do
	start_server P$i --gen $N --log "$T/s$i.log"
	eval "echo \"http://127.0.0.1:\$P$i/gen/0.html\"" >>"$T/urls"
done
# 20 ms between requests: each site takes over a second, so n3 holds sites when killed.
gen_rules "$T/rules"
sed -i 's/^concurrency: 4/concurrency: 1/; s/^delay: 0$/delay: 0.02/' "$T/rules/gen.yaml"

node() {
	"$SCRAPER" crawl -q -c "$T/rules" -d "$PGURI" --node "$1" --lease-s 3 --workers 2 \
		"$T/urls" 2>"$T/$1.err" &
	eval "$1=\$!"
}
node n1
node n2
node n3
# Kill n3 once it has fetched a few pages (it holds its sites then).
i=0
# (Until a node has made the tables, the count is empty.)
while n=$(psql_q "SELECT count(*) FROM pages WHERE node = 'n3'" 2>/dev/null); [ "${n:-0}" -lt 5 ] &&
	[ $i -lt 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
held=$(psql_q "SELECT string_agg(site, ' ' ORDER BY site) FROM sites WHERE node = 'n3'")
kill -9 "$n3"
wait "$n3" 2>/dev/null
check "n3 held sites when it was killed" test -n "$held"

# A node with other rules is refused while the others run.
mkdir -p "$T/other"
gen_rules "$T/other" 'user_agent: "other"'
run "$SCRAPER" crawl -q -c "$T/other" -d "$PGURI" --node n4 "$T/urls"
like "$status:$err" "^1:.*other rule files" "a node with other rule files is refused"

RUN_TIMEOUT=120
wait "$n1"
s1=$?
wait "$n2"
s2=$?
is "$s1:$s2" "0:0" "the two surviving nodes finish, exit 0"
is "$(psql_q "SELECT count(*), count(DISTINCT url), count(*) FILTER (WHERE status = 200) FROM pages")" \
   "$((N * S))|$((N * S))|$((N * S))" "every page stored exactly once"
is "$(psql_q "SELECT count(*), count(DISTINCT url) FROM gen")" "$((N * S))|$((N * S))" \
   "every item stored exactly once"
is "$(psql_q "SELECT count(*) FROM frontier WHERE state <> 'done'")" 0 "nothing left queued or in flight"
took=$(psql_q "SELECT count(DISTINCT p.site) FROM pages p WHERE p.node IN ('n1', 'n2') AND p.site IN (SELECT unnest(string_to_array('$held', ' ')))")
is "$took" "$(echo $held | wc -w)" "n3's sites were taken over by the other nodes"
is "$(psql_q "SELECT count(DISTINCT node) FROM pages")" 3 "pages.node names the three nodes"
# No site crawled by two nodes at once: apart from n3's sites, each site's pages come
# from one node.
is "$(psql_q "SELECT count(*) FROM (SELECT site FROM pages WHERE site NOT IN (SELECT unnest(string_to_array('$held', ' '))) GROUP BY site HAVING count(DISTINCT node) > 1) x")" 0 \
   "every other site was crawled by one node"
run "$SCRAPER" stats -d "$PGURI"
check "stats lists the nodes" grep -Eq "^n1 +[0-9]+" "$T/out"
done_testing
