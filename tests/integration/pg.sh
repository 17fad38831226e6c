# pg.sh: the store on PostgreSQL (-d postgresql://...): a crawl of a generated site;
# query, export and stats on it; the same pages, items and query output as SQLite on
# the same site; item history across a recrawl; query refusing writes; pages.node; a
# server that is not there.  Starts its own PostgreSQL server (tests/pglib.sh) and
# skips where the server binaries are not installed.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/pglib.sh"

pg_require 34
pg_start

N=150
start_server G --gen $N --log "$T/g.log"
gen_rules "$T/rules"
echo "http://127.0.0.1:$G/gen/0.html" >"$T/urls"

run "$SCRAPER" crawl -q -c "$T/rules" -d "$PGURI" --node alpha "$T/urls"
is "$status" 0 "a crawl into PostgreSQL exits 0"
is "$(psql_q "SELECT count(*), count(DISTINCT url), count(*) FILTER (WHERE status = 200) FROM pages")" \
   "$N|$N|$N" "every page stored once"
is "$(psql_q "SELECT count(*) FROM gen")" "$N" "one item per page, in the type's view"
is "$(psql_q "SELECT count(*) FROM frontier WHERE state <> 'done'")" 0 "nothing left queued or in flight"
is "$(psql_q "SELECT DISTINCT node FROM pages")" alpha "pages.node says which node fetched each page"
is "$(psql_q "SELECT jsonb_typeof(data), pg_typeof(data) FROM items LIMIT 1")" "object|jsonb" \
   "items.data is jsonb"

# The same site into SQLite: the same rows.
run "$SCRAPER" crawl -q -c "$T/rules" -d "$T/db" "$T/urls"
is "$(sql "$T/db" "SELECT count(*) FROM pages"):$(sql "$T/db" "SELECT count(*) FROM gen")" \
   "$N:$N" "SQLite on the same site: the same number of pages and items"
q="SELECT name, price, idx FROM gen ORDER BY price, name"
"$SCRAPER" query -d "$T/db" -f csv "$q" >"$T/sqlite.csv"
run "$SCRAPER" query -d "$PGURI" -f csv "$q"
cp "$T/out" "$T/pg.csv"
check "query -f csv gives the same rows on PostgreSQL as on SQLite" cmp -s "$T/sqlite.csv" "$T/pg.csv"
run "$SCRAPER" query -d "$PGURI" -f jsonl "SELECT name, price, data FROM gen JOIN items USING (id) ORDER BY price LIMIT 1"
is "$out" '{"name":"Item 0","price":0.99,"data":{"name": "Item 0", "price": 0.99}}' \
   "query -f jsonl: numbers as numbers, jsonb as JSON"
"$SCRAPER" export -d "$T/db" -t gen >"$T/sqlite.jsonl"
run "$SCRAPER" export -d "$PGURI" -t gen
is "$status:$(printf '%s\n' "$out" | wc -l)" "0:$N" "export -t gen: a line per item"
is "$(printf '%s\n' "$out" | sort | md5sum)" "$(sort "$T/sqlite.jsonl" | md5sum)" \
   "export gives the same records as on SQLite"
run "$SCRAPER" stats -d "$PGURI"
check "stats: the site's pages, and the node that fetched them" \
	grep -Eq "^127\.0\.0\.1:$G +$N +$N .*" "$T/out"
check "stats: each node and the pages it fetched" grep -Eq "^alpha +$N " "$T/out"

# Read-only: writes are refused by the server, inside a read-only transaction.
run "$SCRAPER" query -d "$PGURI" "DELETE FROM pages"
like "$status:$err" "^2:.*refused: DELETE .*read-only" "query refuses a DELETE, exit 2"
run "$SCRAPER" query -d "$PGURI" "COMMIT; DELETE FROM pages"
is "$status" 2 "one statement only: no way out of the transaction"
run "$SCRAPER" query -d "$PGURI" "SELECT set_config('default_transaction_read_only', 'off', false)"
run "$SCRAPER" query -d "$PGURI" "CREATE TABLE x(a int)"
like "$status:$err" "^2:.*read-only" "query refuses a CREATE"
is "$(psql_q "SELECT count(*) FROM pages")" "$N" "nothing was deleted"

# History: the items-over-time scenario of history.sh, on PostgreSQL.
mkdir -p "$T/hrules"
cat >"$T/hrules/r.yaml" <<'YAML'
site: "127.0.0.1"
delay: 0
follow:
  - "css: a::attr(href)"
items:
  row:
    each: "css: div.i"
    key: [name]
    fields:
      name: "css: b::text"
      price: { css: "i::text", type: number }
YAML
row() { printf '<div class=i><b>%s</b><i>%s</i></div>' "$1" "$2"; }
LINKS="<a href=/p404>x</a><a href=/same>z</a>"
cat >"$T/routes1" <<ROUTES
/list body="$LINKS$(row A 1)$(row B 2)$(row C 3)"
/p404 body="$(row D 4)"
/same etag=v1 body="$(row F 6)"
ROUTES
start_server S --routes "$T/routes1"
H="postgresql://scraper@/hist?host=$PGDIR&port=5432"
psql_q "CREATE DATABASE hist" >/dev/null
echo "http://127.0.0.1:$S/list" >"$T/hurls"
hq() { psql -X -q -A -t -d "$H" -c "$1"; }
run "$SCRAPER" crawl -q -c "$T/hrules" -d "$H" "$T/hurls"
is "$status:$(hq "SELECT string_agg(name, ',' ORDER BY name) AS n FROM row")" \
   "0:A,B,C,D,F" "history: the first crawl's items"
kill "$S_PID"
wait "$S_PID" 2>/dev/null
cat >"$T/routes2" <<ROUTES
/list body="$LINKS$(row A 5)$(row B 2)$(row G 8)"
/p404 status=404 body="gone"
/same etag=v1 body="$(row F 6)"
ROUTES
start_server S2 --port "$S" --routes "$T/routes2"
run "$SCRAPER" crawl -q --recrawl -c "$T/hrules" -d "$H" "$T/hurls"
is "$status" 0 "the recrawl exits 0"
is "$(hq "SELECT string_agg(change || ':' || coalesce(old->>'name', '') || ':' || coalesce(new->>'name', ''), ' ' ORDER BY change, old->>'name', new->>'name') AS c FROM changes WHERE at > (SELECT started_at FROM runs WHERE id = 2)")" \
   "added::G changed:A:A gone:C: gone:D:" "changes: G added, A changed, C and D gone"
is "$(hq "SELECT string_agg(name || '=' || price, ',' ORDER BY name) AS r FROM row")" \
   "A=5,B=2,F=6,G=8" "the type's view holds the current items"
is "$(hq "SELECT count(*) AS n FROM row_history WHERE name = 'A'")" 2 \
   "row_history keeps both versions of A"

# Stored bodies: reparse and export -f warc work on PostgreSQL as on SQLite.
B="postgresql://scraper@/bod?host=$PGDIR&port=5432"
psql_q "CREATE DATABASE bod" >/dev/null
bq() { psql -X -q -A -t -d "$B" -c "$1"; }
run "$SCRAPER" crawl -q --store-bodies -c "$T/rules" -d "$B" "$T/urls"
is "$status:$(bq "SELECT count(*) FROM pages WHERE body IS NOT NULL")" "0:$N" \
   "crawl --store-bodies into PostgreSQL keeps every body"
run "$SCRAPER" crawl -q --store-bodies -c "$T/rules" -d "$T/bdb" "$T/urls"
mkdir -p "$T/rules2"
sed 's/h1.name::text/h1.name::text", re: "[0-9]+/' "$T/rules/gen.yaml" >"$T/rules2/gen.yaml"
kill "$G_PID"
wait "$G_PID" 2>/dev/null
run "$SCRAPER" reparse -c "$T/rules2" -d "$B"
like "$status:$err" "^0:reparse: $N pages, $N items" "reparse on PostgreSQL exits 0 and says what it did (the site is down)"
q="SELECT name, price FROM gen ORDER BY price, name"
run "$SCRAPER" reparse -q -c "$T/rules2" -d "$T/bdb"
"$SCRAPER" query -d "$T/bdb" -f csv "$q" >"$T/bsqlite.csv"
"$SCRAPER" query -d "$B" -f csv "$q" >"$T/bpg.csv"
check "reparse: the same items on PostgreSQL as on SQLite (today's rules: the names are numbers)" \
	sh -c "cmp -s '$T/bsqlite.csv' '$T/bpg.csv' && grep -q '^17,' '$T/bpg.csv'"
hist="SELECT change, count(*) FROM changes WHERE at >= (SELECT max(started_at) FROM runs WHERE kind = 'reparse') GROUP BY change"
is "$(bq "$hist")" "changed|$N" "reparse keeps history on PostgreSQL: each item a new version"
is "$(bq "SELECT kind, finished_at IS NOT NULL FROM runs ORDER BY id DESC LIMIT 1")" "reparse|t" \
   "reparse is a run, ended"
bq "INSERT INTO nodes VALUES ('busy', now(), now(), NULL)" >/dev/null
run "$SCRAPER" reparse -c "$T/rules2" -d "$B"
like "$status:$err" "^1:.*node 'busy' is crawling" "reparse refuses while a node is crawling"
bq "DELETE FROM nodes" >/dev/null
run "$SCRAPER" export -d "$B" -f warc -o "$T/pg.warc.gz"
is "$status:$(ls "$T" | grep -c 'warc.gz.tmp')" "0:0" "export -f warc on PostgreSQL exits 0, no temporary file left"
"$SCRAPER" export -d "$T/bdb" -f warc -o "$T/sqlite.warc.gz"
# The records but for what differs by nature: record ids, dates, software version.
warc_norm() { gzip -dc "$1" | grep -av '^WARC-Record-ID\|^WARC-Date\|^WARC-Concurrent-To' | md5sum; }
is "$(warc_norm "$T/pg.warc.gz")" "$(warc_norm "$T/sqlite.warc.gz")" \
   "export -f warc: the same records as from SQLite"
is "$(gzip -dc "$T/pg.warc.gz" | grep -ac '^WARC-Type: response')" "$N" "a response record per stored page"

# No server there, or a bad URI: a clear message, exit 1.
run "$SCRAPER" crawl -q -c "$T/rules" -d "postgresql://scraper@/postgres?host=$T/nowhere&port=5432" "$T/urls"
like "$status:$err" "^1:.*cannot connect to PostgreSQL" "crawl: no server there, exit 1 with a clear message"
run "$SCRAPER" query -d "postgresql://scraper@/nosuchdb?host=$PGDIR&port=5432" "SELECT 1"
like "$status:$err" '^1:.*cannot connect to PostgreSQL.*nosuchdb.*does not exist' "query: no such database, exit 1"
run "$SCRAPER" crawl -q -c "$T/rules" -d "$T/db2" --node x "$T/urls"
like "$status:$err" "^2:.*--node and --lease-s are for a PostgreSQL database" "--node wants PostgreSQL"
done_testing
