# readside.sh: the read commands leave the database as they found it, and -d must name
# a database file.  A reader whose output pipe closes ("export ... | head -1") stops
# cleanly and closes the database (killed by SIGPIPE it would leave -wal and -shm
# behind); a database reached through a symbolic link in another folder gets its -wal
# and -shm beside the real file and they are removed there; and -d naming a FIFO, a
# directory or a device is refused by every command without opening it (a FIFO would
# block the first read forever).
. "$top_srcdir/tests/lib.sh"

plan 21

mkdir -p "$T/db" "$T/links"
: >"$T/empty.urls"
DB="$T/db/items.db"
# A crawl's schema, then 3,000 items of 2 KB each: far more than a pipe holds.
"$SCRAPER" crawl -q -c "$top_srcdir/config/demo" -d "$DB" "$T/empty.urls" &&
	"$SQLITE3" "$DB" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
	INSERT INTO items(site, type, url, idx, data, scraped_at)
	SELECT 's.test', 'thing', 'http://s.test/' || i, 0,
	       json_object('name', 'n' || i, 'text', hex(zeroblob(1000))), '2026-01-01T00:00:00.000Z'
	FROM n" || { echo "Bail out! cannot build $DB"; exit 99; }
[ ! -e "$DB-wal" ] && [ ! -e "$DB-shm" ] || { echo "Bail out! $DB has -wal/-shm after set-up"; exit 99; }

# no_wal WHAT: ok when the database has no -wal and no -shm, beside it or the link.
no_wal() {
	_left=$(ls "$DB-wal" "$DB-shm" "$T/links/l.db-wal" "$T/links/l.db-shm" 2>/dev/null)
	if [ -z "$_left" ]; then
		ok "$1"
	else
		not_ok "$1"
		diag "left behind: $_left"
		rm -f "$DB-wal" "$DB-shm" "$T/links/l.db-wal" "$T/links/l.db-shm"
	fi
}

# The reader's exit status, through a pipe whose reader stops after one line.
piped() {
	{ timeout 60 "$@" 2>"$T/perr"; echo $? >"$T/pstatus"; } | head -1 >/dev/null
	pstatus=$(cat "$T/pstatus")
	perr=$(cat "$T/perr")
	cat "$T/perr" >>"$T/stderr.all"
}

piped "$SCRAPER" export -d "$DB" -t thing
is "$pstatus:$perr" "0:" "export | head -1: a clean stop, exit 0, nothing said"
no_wal "export | head -1: no -wal or -shm left"
piped "$SCRAPER" export -d "$DB" -t thing -f csv
no_wal "export -f csv | head -1: no -wal or -shm left"
piped "$SCRAPER" query -d "$DB" -f jsonl "SELECT * FROM items"
is "$pstatus:$perr" "0:" "query | head -1: a clean stop, exit 0, nothing said"
no_wal "query | head -1: no -wal or -shm left"
piped "$SCRAPER" query -d "$DB" -f table "SELECT * FROM items"
no_wal "query -f table | head -1: no -wal or -shm left"
piped "$SCRAPER" query -d "$DB" --schema
no_wal "query --schema | head -1: no -wal or -shm left"

# Through a symbolic link in another folder.
ln -s "../db/items.db" "$T/links/l.db"
run "$SCRAPER" query -d "$T/links/l.db" -f jsonl "SELECT count(*) AS n FROM items"
is "$status:$out" '0:{"n":3000}' "query through a symbolic link: reads the database"
no_wal "query through a symbolic link: no -wal or -shm left"
run "$SCRAPER" stats -d "$T/links/l.db"
is "$status" 0 "stats through a symbolic link: exit 0"
no_wal "stats through a symbolic link: no -wal or -shm left"
run "$SCRAPER" export -d "$T/links/l.db" -t thing -o "$T/things.jsonl"
is "$status:$(wc -l <"$T/things.jsonl")" "0:3000" "export through a symbolic link: every item"
no_wal "export through a symbolic link: no -wal or -shm left"

# -d names no database file.  The FIFO has no writer: opening it to read would block.
mkfifo "$T/fifo.db"
mkdir "$T/dir.db"
printf '%s\n' "http://127.0.0.1:9/" >"$T/one.urls"
for cmd in "crawl -c $top_srcdir/config/demo -d $T/fifo.db $T/one.urls" \
	"query -d $T/fifo.db --tables" "export -d $T/fifo.db -t thing" "stats -d $T/fifo.db" \
	"reparse -c $top_srcdir/config/demo -d $T/fifo.db"; do
	RUN_TIMEOUT=20 run $SCRAPER $cmd
	like "$status:$err" "^1:.*$T/fifo.db is a FIFO" "${cmd%% *} -d FIFO: refused, exit 1, the message says why"
done
RUN_TIMEOUT=20 run "$SCRAPER" stats -d "$T/dir.db"
like "$status:$err" "^1:.*$T/dir.db is a directory" "stats -d DIRECTORY: refused, exit 1"
RUN_TIMEOUT=20 run "$SCRAPER" crawl -c "$top_srcdir/config/demo" -d "$T/dir.db" "$T/one.urls"
like "$status:$err" "^1:.*$T/dir.db is a directory" "crawl -d DIRECTORY: refused, exit 1"
RUN_TIMEOUT=20 run "$SCRAPER" query -d /dev/null "SELECT 1"
like "$status:$err" "^1:.*/dev/null is a device" "query -d /dev/null: refused, exit 1"

done_testing
