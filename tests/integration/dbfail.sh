# dbfail.sh: a database that cannot be written, and one that fills up mid-crawl.  The
# run stops cleanly with exit 1 and a clear message, and what was committed is intact
# and consistent (no half pages).
. "$top_srcdir/tests/lib.sh"

plan 13

start_server S --gen 300 --gen-bytes 20000 --log "$T/s.log"
echo "http://127.0.0.1:$S/gen/0.html" >"$T/urls"
gen_rules "$T/rules"
# Store each page's markup too, so the database grows fast.
cat >>"$T/rules/gen.yaml" <<'YAML'
      body: { css: "body", type: html }
YAML

# Read-only: as root, file modes do not stop writes, so run the crawl as nobody.
run "$SCRAPER" crawl -q -c "$T/rules" -d "$T/ro.db" --max-pages 3 "$T/urls"
chmod 755 "$T" && chmod 444 "$T/ro.db" && chmod 555 "$T/rules"
before=$(cksum <"$T/ro.db")
if [ "$(id -u)" = 0 ]; then
	as_user="setpriv --reuid=65534 --regid=65534 --clear-groups"
else
	as_user=
fi
run $as_user "$SCRAPER" crawl -q -c "$T/rules" -d "$T/ro.db" "$T/urls"
is "$status" 1 "read-only database: exit 1"
like "$err" "read-only" "read-only database: the message says so"
is "$(cksum <"$T/ro.db")" "$before" "read-only database: unchanged"

# Full: --max-db-mb caps the database (SQLite's max_page_count), as a full disk would.
# (2 MiB: an item's data is kept twice, as the current item and as its version.)
# Five pages are committed by a first run, so the one that fills the database has
# something committed before it, whatever size its first transaction has (under
# sanitizers one transaction can hold every page).
run "$SCRAPER" crawl -q -c "$T/rules" -d "$T/full.db" --max-pages 5 "$T/urls"
ok0=$(sql "$T/full.db" "SELECT count(*) FROM frontier WHERE state = 'done'")
items0=$(sql "$T/full.db" "SELECT count(*) FROM gen")
# Not quiet: the summary is checked too.
run "$SCRAPER" crawl -c "$T/rules" -d "$T/full.db" --max-db-mb 2 "$T/urls"
is "$status" 1 "full database: exit 1"
like "$err" "database or disk is full" "full database: the message says so"
# The failure's own message is the first error; the workers it kills are not said to
# have "not stopped in 5 s" (the whole run takes far less).
is "$(printf '%s\n' "$err" | grep -m1 -E 'error|warning' | sed 's/.*: //')" "database or disk is full (writing)" \
   "full database: its message comes first"
case $err in
*"did not stop"*) not_ok "full database: no worker is said not to have stopped in 5 s"; diag "$err" ;;
*) ok "full database: no worker is said not to have stopped in 5 s" ;;
esac
# The summary counts what was committed, as the database (and scraper stats) shows it.
ok1=$(sql "$T/full.db" "SELECT count(*) FROM frontier WHERE state = 'done'")
items1=$(sql "$T/full.db" "SELECT count(*) FROM gen")
summary=$(printf '%s\n' "$err" | grep -E 'crawl (stopped|finished):' | sed -E 's/.*(stopped|finished): [0-9]+ pages? in [^:]*: ([0-9]+) ok.*; ([0-9]+) items?;.*/\2 \3/')
is "$summary" "$((ok1 - ok0)) $((items1 - items0))" \
   "full database: the summary counts only committed pages and items"
run "$SCRAPER" stats -d "$T/full.db" -f json
like "$out" "\"ok\": ?$ok1[,}]" "full database: scraper stats agrees ($ok1 ok)"
is "$(sql "$T/full.db" "PRAGMA integrity_check")" ok "full database: integrity_check ok"
pages=$(sql "$T/full.db" "SELECT count(*) FROM pages WHERE status = 200")
if [ "$pages" -ge 5 ] && [ "$pages" -lt 300 ]; then
	ok "full database: the pages committed before it filled are kept ($pages)"
else
	not_ok "full database: the pages committed before it filled are kept ($pages)"
fi
is "$(sql "$T/full.db" "SELECT count(*) FROM gen")" "$pages" "full database: every stored page has its item"
is "$(sql "$T/full.db" "SELECT count(*) FROM frontier f WHERE state = 'done'
                         AND NOT EXISTS (SELECT 1 FROM pages p WHERE p.url = f.url)")" 0 \
   "full database: no URL is done without its page"

done_testing
