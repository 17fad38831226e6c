# usage.sh: what each site's workers cost (CPU time, peak memory; wait4 at reap) is
# summed per site in the database (table site_usage) and shown by stats, as a table
# and as JSON; a second crawl adds to it.
. "$top_srcdir/tests/lib.sh"

plan 7

start_server A --gen 30
start_server B --gen 10
gen_rules "$T/rules"
# One transfer at a time: a site alone on the machine does not widen to several
# workers (widesite.sh), so each site has exactly one worker to account.
sed 's/^concurrency: 4$/concurrency: 1/' "$T/rules/gen.yaml" >"$T/rules/x" && mv "$T/rules/x" "$T/rules/gen.yaml"
printf 'http://127.0.0.1:%s/gen/0.html\nhttp://127.0.0.1:%s/gen/0.html\n' "$A" "$B" >"$T/urls"
run "$SCRAPER" crawl -c "$T/rules" -d "$T/u.db" "$T/urls"
is "$status" 0 "the crawl exits 0"
is "$(sql "$T/u.db" "SELECT group_concat(workers || ':' || (cpu_ms >= 0) || ':' || (peak_rss_kb > 1024), ',') FROM (SELECT * FROM site_usage ORDER BY site)")" \
   "1:1:1,1:1:1" "one worker per site accounted: CPU time and a peak resident size over 1 MiB"

run "$SCRAPER" stats -d "$T/u.db" -f json
like "$(printf '%s\n' "$out" | grep "\"site\":\"127.0.0.1:$A\"")" '"workers":\{"count":1,"cpu_ms":[0-9]+,"peak_rss_kb":[0-9]{4,}\}' \
     "stats -f json: the site's workers, CPU and peak memory"
like "$(printf '%s\n' "$out" | grep '^"total"')" '"workers":\{"count":2,' "stats -f json: the total counts both workers"
run "$SCRAPER" stats -d "$T/u.db"
like "$out" "workers +1  CPU [0-9.]+ s, peak memory [0-9.]+ MiB" "stats: the table shows them"

printf 'http://127.0.0.1:%s/gen/1.html\n' "$A" >"$T/urls2"
run "$SCRAPER" crawl --recrawl -c "$T/rules" -d "$T/u.db" "$T/urls2"
is "$(sql "$T/u.db" "SELECT workers FROM site_usage WHERE site = '127.0.0.1:$A'")" 2 "a second crawl adds its worker"
is "$(sql "$T/u.db" "PRAGMA user_version")" "$(sed -n 's/^#define SCHEMA_VERSION \([0-9]*\).*/\1/p' "$top_srcdir/scraper/store/schema.h")" \
   "the database is at the current schema"

done_testing
