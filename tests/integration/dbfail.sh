# dbfail.sh: a database that cannot be written, and one that fills up mid-crawl.  The
# run stops cleanly with exit 1 and a clear message, and what was committed is intact
# and consistent (no half pages).
. "$top_srcdir/tests/lib.sh"

plan 21

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
# Nor is the kill that stops them reported as if they had died.
case $err in
*"killed by signal"*) not_ok "full database: the workers it stops are not reported killed"; diag "$err" ;;
*) ok "full database: the workers it stops are not reported killed" ;;
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

# A -shm the crawl cannot open for writing, from the start: immutable (as root), or
# root's and read-only (seen by nobody).  SQLite says "attempt to write a readonly
# database"; the message adds which file is to blame.
cp "$T/full.db" "$T/shm.db"
: >"$T/shm.db-shm"
if chattr +i "$T/shm.db-shm" 2>/dev/null; then
	run "$SCRAPER" crawl -q -c "$T/rules" -d "$T/shm.db" "$T/urls"
	chattr -i "$T/shm.db-shm"
	like "$status:$err" "^1:.*shm.db-shm cannot be written: it is immutable" \
	     "immutable -shm from the start: exit 1, the message names the -shm"
else
	ok "immutable -shm from the start # SKIP chattr +i is not possible here"
fi
if [ "$(id -u)" = 0 ]; then
	mkdir -m 777 "$T/shared" && cp "$T/full.db" "$T/shared/n.db" && chown 65534 "$T/shared/n.db" &&
		: >"$T/shared/n.db-shm" && chmod 444 "$T/shared/n.db-shm"
	run $as_user "$SCRAPER" crawl -q -c "$T/rules" -d "$T/shared/n.db" "$T/urls"
	like "$status:$err" "^1:.*n.db-shm cannot be written: Permission denied" \
	     "root's read-only -shm seen by nobody: exit 1, the message names the -shm"
else
	ok "root's read-only -shm seen by nobody # SKIP not root"
fi

# An immutable -shm: made so while the crawl runs (it cannot be opened for writing
# once it is), then written back so that the next write to SQLite's mapping of it
# faults, and the kernel answers with SIGBUS.  The crawl says so and exits 1, the
# database is intact, and once the flag is gone the crawl finishes, every page once.
printf '/gen/* gate=%s\n' "$T/busgate" >"$T/busroutes"
echo 20 >"$T/busgate"
start_server B --gen 300 --routes "$T/busroutes" --log "$T/b.log"
echo "http://127.0.0.1:$B/gen/0.html" >"$T/busurls"
"$SCRAPER" crawl -q -c "$T/rules" -d "$T/bus.db" "$T/busurls" >/dev/null 2>"$T/bus.err" &
crawl=$!
_pids="$_pids $crawl"
wait_for_requests "$T/b.log" 21 $crawl
if [ -e "$T/bus.db-shm" ] && chattr +i "$T/bus.db-shm" 2>/dev/null; then
	sync "$T/bus.db-shm"
	echo open >"$T/busgate"
	wait $crawl
	status=$?
	chattr -i "$T/bus.db-shm"
	err=$(cat "$T/bus.err")
	cat "$T/bus.err" >>"$T/stderr.all"
	if [ "$status" = 0 ]; then
		# Some file systems let writes through the mapping of an immutable file.
		for d in "exit 1" "the message" "integrity" "resumed" "each page once"; do
			ok "immutable -shm: $d # SKIP the file system allowed the writes"
		done
	else
		is "$status" 1 "immutable -shm: exit 1 (not killed by SIGBUS)"
		like "$err" "bus.db: bus error \(SIGBUS\) on the database's shared-memory file .*bus.db-shm" \
		     "immutable -shm: the message names the database and its -shm"
		is "$(sql "$T/bus.db" "PRAGMA integrity_check")" ok "immutable -shm: integrity_check ok"
		run "$SCRAPER" crawl -q -c "$T/rules" -d "$T/bus.db" "$T/busurls"
		is "$status" 0 "immutable -shm: the crawl resumed once the flag is gone"
		is "$(sql "$T/bus.db" "SELECT count(*), count(DISTINCT url), (SELECT count(*) FROM gen) FROM pages WHERE status = 200")" \
		   "300|300|300" "immutable -shm: each page stored once, with its item"
	fi
else
	echo open >"$T/busgate"
	wait $crawl
	for d in "exit 1" "the message" "integrity" "resumed" "each page once"; do
		ok "immutable -shm: $d # SKIP chattr +i is not possible here (not root, or the file system)"
	done
fi

done_testing
