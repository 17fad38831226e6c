# schema.sh: a database written at schema version 1 (tests/fixtures/query/schema1.sql)
# is read as it is by query, export and stats (they never migrate: read-only), and
# brought to the current version by a crawl with its rows intact.
. "$top_srcdir/tests/lib.sh"

plan 28

G="$FIXTURES/query"
mkdir -p "$T/db"
DB="$T/db/old.db"
"$SQLITE3" "$DB" <"$G/schema1.sql" >/dev/null || { echo "Bail out! cannot build $DB"; exit 99; }
: >"$T/empty.urls"
current=$(sed -n 's/^#define SCHEMA_VERSION \([0-9]*\).*/\1/p' "$top_srcdir/scraper/store/schema.h")

# Everything a table holds, in a fixed order, to compare before and after (pages by
# schema 1's columns: schema 3 adds some, empty for the pages already there).
rows() {
	"$SQLITE3" -batch "$DB" "SELECT url, site, status, content_type, bytes, elapsed_ms, depth,
		fetched_at, error, etag, last_modified, final_url, charset, extract_errors FROM pages
		ORDER BY url; SELECT * FROM items ORDER BY id;
		SELECT * FROM frontier ORDER BY id; SELECT * FROM robots ORDER BY site"
}
rows >"$T/rows.before"
cp "$DB" "$T/before.db"
is "$(sql "$DB" "PRAGMA user_version")" 1 "the fixture is schema 1"

# The read side on schema 1, untouched.
run "$SCRAPER" query -d "$DB" -f csv "SELECT name, price FROM product ORDER BY price LIMIT 3"
is "$status:$(printf '%s' "$out" | tr -d '\r' | tr '\n' ' ')" \
   "0:name,price Chamomile Blossom,6.0 Ceylon Uva Highlands,8.75 Colombia Huila Decaf,10.25" \
   "query works on schema 1"
run "$SCRAPER" stats -d "$DB" -f json
is "$status" 0 "stats works on schema 1"
like "$out" '"total":\{"sites":1,"pages":\{"total":11,"ok":8,"failed":2,"skipped":1,"skipped_robots":1,"skipped_limit":0\}' \
     "and counts its pages"
stats_v1=$out
run "$SCRAPER" export -d "$DB" -t listing -f csv
is "$status:$(printf '%s\n' "$out" | wc -l | tr -d ' ')" "0:5" "export works on schema 1"
is "$(sql "$DB" "PRAGMA user_version")" 1 "reading does not migrate"
check "nor change a byte" cmp -s "$DB" "$T/before.db"

# A crawl (of nothing) brings it forward.
run "$SCRAPER" crawl -q -c "$top_srcdir/config/demo" -d "$DB" "$T/empty.urls"
is "$status" 0 "a crawl opens the schema 1 database"
is "$(sql "$DB" "PRAGMA user_version")" "$current" "and brings it to schema $current"
rows >"$T/rows.after"
check "with every row of every table intact" cmp -s "$T/rows.before" "$T/rows.after"
is "$(sql "$DB" "SELECT count(*) || ':' || sum(noindex = 0) FROM pages")" "11:11" \
   "schema 3's pages.noindex is 0 on every old row"
is "$(sql "$DB" "SELECT name FROM sqlite_schema WHERE type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY name" | tr '\n' ' ')" \
   "frontier_queue item_versions_gone_job item_versions_item item_versions_job items_site_type items_url pages_site_elapsed problems_url " \
   "with the read side's indexes and the history's"
is "$(sql "$DB" "SELECT count(*) FROM items i JOIN item_keys k USING (id) JOIN item_versions v ON v.item_id = i.id
	WHERE k.key = json_array(i.url, i.idx) AND v.data = i.data AND v.job IS NULL")" \
   "$(sql "$DB" "SELECT count(*) FROM items")" "every stored item has its identity and a first version"
is "$(sql "$DB" "SELECT change || ' ' || count(*) FROM changes GROUP BY change")" \
   "added $(sql "$DB" "SELECT count(*) FROM items")" "and the changes view shows them added"
is "$(sql "$DB" "PRAGMA integrity_check")" "ok" "and passes an integrity check"
is "$(sql "$DB" "SELECT count(*) FROM product")" 6 "its item views still read"

# The same answers after the migration.
run "$SCRAPER" stats -d "$DB" -f json
is "$(printf '%s\n' "$out" | sed '/^"runs":/d; s/^\("total":.*\),$/\1}/')" "$stats_v1" \
   "stats says the same after the migration (and lists the run that did it)"
run "$SCRAPER" query -d "$DB" -f csv "EXPLAIN QUERY PLAN SELECT site, type, count(*) FROM items GROUP BY site, type"
like "$out" "COVERING INDEX items_site_type" "items per site is now read from an index"

# Schema 2 (tests/fixtures/query/schema2.sql, written by the release before items over
# time): read as it is, then brought to the current schema with its items as their
# first versions.
DB2="$T/db/v2.db"
"$SQLITE3" "$DB2" <"$G/schema2.sql" >/dev/null || { echo "Bail out! cannot build $DB2"; exit 99; }
cp "$DB2" "$T/before2.db"
is "$(sql "$DB2" "PRAGMA user_version")" 2 "the second fixture is schema 2"
run "$SCRAPER" query -d "$DB2" -f csv "SELECT name, price FROM product ORDER BY price LIMIT 2"
is "$status:$(printf '%s' "$out" | tr -d '\r' | tr '\n' ' ')" \
   "0:name,price Gunpowder Pearl,4.0 Peppermint Leaf,4.95" "query works on schema 2"
run "$SCRAPER" stats -d "$DB2" -f json
like "$status:$(printf '%s' "$out" | tail -1)" '^0:"total":.*"items":\{"total":60,' "stats works on schema 2"
stats_v2=$out
run "$SCRAPER" export -d "$DB2" -t product -f jsonl
is "$status:$(printf '%s\n' "$out" | wc -l | tr -d ' ')" "0:30" "export works on schema 2"
check "reading schema 2 changes not a byte" cmp -s "$DB2" "$T/before2.db"
run "$SCRAPER" crawl -q -c "$top_srcdir/config/demo" -d "$DB2" "$T/empty.urls"
is "$status:$(sql "$DB2" "PRAGMA user_version")" "0:$current" "a crawl brings schema 2 to schema $current"
is "$(sql "$DB2" "SELECT count(*) FROM items i JOIN item_versions v ON v.item_id = i.id AND v.data = i.data")" 60 \
   "every item has its data as its first version"
run "$SCRAPER" stats -d "$DB2" -f json
is "$(printf '%s\n' "$out" | sed '/^"runs":/d; s/^\("total":.*\),$/\1}/')" "$stats_v2" \
   "stats says the same after the migration"
is "$(sql "$DB2" "PRAGMA integrity_check")" "ok" "the upgraded schema 2 database passes an integrity check"

# A newer schema than this build knows is refused by the crawl, not damaged.
"$SQLITE3" "$T/db/new.db" "CREATE TABLE pages(url); PRAGMA user_version = $((current + 1))"
run "$SCRAPER" crawl -q -c "$top_srcdir/config/demo" -d "$T/db/new.db" "$T/empty.urls"
is "$status:$(sql "$T/db/new.db" "PRAGMA user_version")" "1:$((current + 1))" \
   "a database from a newer scraper is refused and left alone"

done_testing
