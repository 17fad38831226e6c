# serve-pg.sh: `scraper serve --db postgresql://...`: each project's crawl data in a
# schema of its own (scraper_NAME) in the throwaway PostgreSQL server, service.db in
# the data folder; two projects' jobs crawl into their schemas; query and items read
# them through the API (query read-only there too, and cut off after 60 s), and
# /metrics counts them; deleting a project drops its
# schema; --db wants a PostgreSQL connection string.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/pglib.sh"
. "$top_srcdir/tests/fixtures/serve/lib.sh"

pg_require 17
pg_start

run "$SCRAPER" serve -D "$T/x" --db "$T/some.db"
like "$status:$err" "^2:.*--db wants a PostgreSQL connection string" "--db wants PostgreSQL (exit 2)"

N=30
start_server G --gen $N
gen_rules "$T/rules"
start_serve --db "$PGURI"
check "the service says where the crawl data goes" grep -q "PostgreSQL at postgresql://scraper@" "$SERVE_LOG"

put_project shop "$T/rules" "http://127.0.0.1:$G/gen/0.html"
put_project shop-2 "$T/rules" "http://127.0.0.1:$G/gen/5.html"
api POST /api/v1/projects/shop/jobs
J1=$(jget "$body" '$.id')
api POST /api/v1/projects/shop-2/jobs
J2=$(jget "$body" '$.id')
wait_job "$J1" finished failed
s1=$state
wait_job "$J2" finished failed
is "$s1:$state" "finished:finished" "both projects' jobs finish"
is "$(psql_q "SELECT count(*), count(DISTINCT url) FROM scraper_shop.gen")" "$N|$N" \
   "shop's items are in its schema, once each"
is "$(psql_q "SELECT count(*) FROM \"scraper_shop-2\".pages")" "$N" \
   "shop-2's pages are in its own (a '-' in the name is kept)"
check "no SQLite database in the project's folder" test ! -e "$DATA/projects/shop/scraped.db"

api GET "/api/v1/projects/shop/query" -G --data-urlencode "sql=SELECT count(*) AS n FROM gen"
is "$code:$(jget "$body" '$[0].n')" "200:$N" "query, json, from the project's schema"
api GET "/api/v1/projects/shop/query" -G --data-urlencode "sql=SELECT name FROM gen ORDER BY name LIMIT 2" \
    --data-urlencode "format=csv"
is "$body" "$("$SCRAPER" query -d "postgresql://scraper@/postgres?host=$PGDIR&port=5432&options=-csearch_path%3Dscraper_shop" -f csv "SELECT name FROM gen ORDER BY name LIMIT 2")" \
   "query, csv: as scraper query prints it"
api GET "/api/v1/projects/shop/query" -G --data-urlencode "sql=SELECT current_setting('statement_timeout') AS t"
is "$(jget "$body" '$[0].t')" 1min "a query is cut off after 60 s, as on SQLite"
api GET "/api/v1/projects/shop/query" -G --data-urlencode "sql=WITH d AS (DELETE FROM pages RETURNING 1) SELECT count(*) FROM d"
like "$code:$body" "^400:.*read-only" "a write hidden in a WITH is refused by the server: 400"
api GET "/api/v1/projects/shop/items/gen"
is "$code:$(printf '%s\n' "$body" | grep -c '"name"')" "200:$N" "items: a line per item"

api GET /metrics
like "$body" "scraper_pages\{project=\"shop\",class=\"2xx\"\} $N" "metrics: pages by project and status class"
like "$body" "scraper_items\{project=\"shop-2\",type=\"gen\"\} $N" "metrics: items by project and type"
like "$body" "scraper_fetch_duration_seconds_count\{project=\"shop\"\} $N" "metrics: the fetch duration histogram"

api DELETE /api/v1/projects/shop-2
is "$code:$(psql_q "SELECT count(*) FROM pg_namespace WHERE nspname = 'scraper_shop-2'")" "200:0" \
   "deleting a project drops its schema"
is "$(psql_q "SELECT count(*) FROM scraper_shop.pages")" "$N" "and leaves the others alone"
stop_serve
is "$serve_status" 0 "the service stops cleanly"
done_testing
