# export.sh: scraper export: jsonl, json and csv against golden files (fields that come and
# go, JSON types kept, awkward text), the atomic -o FILE (a failure halfway leaves the
# old file and no temporary one), unknown types, and memory that does not grow with
# the number of items (10,000 against 100,000).
. "$top_srcdir/tests/lib.sh"

plan 32

G="$FIXTURES/query"
mkdir -p "$T/db" "$T/files"
: >"$T/empty.urls"
DB="$T/db/items.db"
# The schema (and the demo's item views) as a crawl makes it, then the fixture's items.
"$SCRAPER" crawl -q -c "$top_srcdir/config/demo" -d "$DB" "$T/empty.urls" &&
	"$SQLITE3" "$DB" <"$G/items.sql" || { echo "Bail out! cannot build $DB"; exit 99; }

golden() {
	if [ "$status" -eq 0 ] && cmp -s "$1" "$G/$2"; then
		ok "$3"
	else
		not_ok "$3"
		diag "status $status" "$err"
		diff "$G/$2" "$1" | head -20 | sed 's/^/# /'
	fi
}

run "$SCRAPER" export -d "$DB" -t thing
golden "$T/out" thing.jsonl "jsonl: url and the union of the fields, JSON types kept (golden)"
run "$SCRAPER" export -d "$DB" -t thing -f csv
golden "$T/out" thing.csv "csv: RFC 4180, arrays and objects as JSON text (golden)"
run "$SCRAPER" export -d "$DB" -t link
golden "$T/out" link.jsonl "items stored with a field named url (before rule files refused it): the page's address is page_url (golden)"

# -f json: the jsonl records as one JSON array, a record a line (options in any order).
awk 'BEGIN { printf "[" } { printf "%s\n%s", (NR > 1 ? "," : ""), $0 } END { printf "\n]\n" }' \
	"$G/thing.jsonl" >"$T/thing.json"
run "$SCRAPER" export -t thing -f json -d "$DB"
check "json: one array of the jsonl records, JSON types kept" cmp -s "$T/out" "$T/thing.json"
run "$SCRAPER" export -d "$DB" -t page -f json
is "$status:$out" "0:[]" "json: a known type without items is []"
run "$SCRAPER" export -d "$DB" -t thing -f json -o "$T/files/thing.json"
check "json: -o FILE" cmp -s "$T/files/thing.json" "$T/thing.json"
rm -f "$T/files/thing.json"
run "$SCRAPER" export -d "$DB" -t thing -f table
is "$status" 2 "-f table is not an export format: exit 2"

# -o FILE: the file and nothing else.
run "$SCRAPER" export -d "$DB" -t thing -o "$T/files/thing.jsonl"
golden "$T/files/thing.jsonl" thing.jsonl "-o FILE writes the export to FILE"
is "$(ls -A "$T/files")" "thing.jsonl" "and leaves no other file beside it"
echo "old contents" >"$T/files/thing.csv"
run "$SCRAPER" export -d "$DB" -t thing -f csv -o "$T/files/thing.csv"
golden "$T/files/thing.csv" thing.csv "-o over an old file replaces it whole"
is "$(stat -c %a "$T/files/thing.csv")" "$(printf '%o' $((0666 & ~$(umask))))" \
   "the file gets the usual mode (0666 less the umask), not the temporary file's 0600"
run "$SCRAPER" export -d "$DB" -t thing -o -
golden "$T/out" thing.jsonl "-o - is standard output"

# A type with a view (from the rule files) but no items: an empty export, not an error.
run "$SCRAPER" export -d "$DB" -t page -f csv
is "$status:$(printf '%s' "$out" | tr -d '\r')" "0:url" "a known type without items: just the header"

# Unknown type: exit 2, and the types there are.
run "$SCRAPER" export -d "$DB" -t nosuch -o "$T/files/nosuch.jsonl"
is "$status" 2 "an unknown type exits 2"
like "$err" "no items of type 'nosuch'.*link \(2\), thing \(5\)" "and lists the types there are"
check "and writes no file" test ! -e "$T/files/nosuch.jsonl"

# A missing database: exit 1, nothing made.
run "$SCRAPER" export -d "$T/db/missing.db" -t thing -o "$T/files/m.jsonl"
is "$status" 1 "a missing database exits 1"
check "and is not created" test ! -e "$T/db/missing.db"
check "nor is the output file" test ! -e "$T/files/m.jsonl"

# A folder that is not there.
run "$SCRAPER" export -d "$DB" -t thing -o "$T/nowhere/x.jsonl"
is "$status" 1 "-o into a missing folder exits 1"
like "$err" "nowhere/x.jsonl" "and names the file"

# Bulk items for the failure and memory tests.
bulk() {
	"$SCRAPER" crawl -q -c "$top_srcdir/config/demo" -d "$2" "$T/empty.urls" &&
		"$SQLITE3" "$2" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
		INSERT INTO items(site, type, url, idx, data, scraped_at)
		SELECT 'bulk.test', 'bulk', 'http://bulk.test/p/' || i, 0,
		  json_object('name', 'Item ' || i, 'price', i / 100.0, 'tags', json_array('a', 'b'),
		              'description', printf('%.200c', 'x')),
		  '2026-01-01T00:00:00.000Z' FROM n"
}
bulk 10000 "$T/db/bulk10k.db" && bulk 100000 "$T/db/bulk100k.db" ||
	{ echo "Bail out! cannot build the bulk databases"; exit 99; }

# A write that fails halfway (the file size limit: EFBIG) leaves the old file as it was
# and no temporary file.
echo "the previous export" >"$T/files/bulk.jsonl"
(ulimit -f 64; trap '' XFSZ; exec "$SCRAPER" export -d "$T/db/bulk10k.db" -t bulk \
	-o "$T/files/bulk.jsonl") 2>"$T/err"
is "$?" 1 "a write failing halfway exits 1"
like "$(cat "$T/err")" "writing the export: File too large" "and says why"
is "$(cat "$T/files/bulk.jsonl")" "the previous export" "the old file is untouched"
is "$(ls -A "$T/files" | grep -c tmp)" 0 "and no temporary file is left"
(ulimit -f 64; trap '' XFSZ; exec "$SCRAPER" export -d "$T/db/bulk10k.db" -t bulk -f json \
	-o "$T/files/bulk.jsonl") 2>"$T/err"
is "$?:$(cat "$T/files/bulk.jsonl"):$(ls -A "$T/files" | grep -c tmp)" "1:the previous export:0" \
   "-f json too: a failed write leaves the old file and no temporary one"

if [ -w /dev/full ]; then
	"$SCRAPER" export -d "$DB" -t thing >/dev/full 2>"$T/err"
	is "$?" 1 "standard output full: exit 1"
else
	ok "# SKIP no /dev/full"
fi

# Streaming: peak memory (max RSS) with 100,000 items is that with 10,000.
run "$SCRAPER" export -d "$T/db/bulk100k.db" -t bulk -f csv -o "$T/files/bulk100k.csv"
is "$status:$(wc -l <"$T/files/bulk100k.csv" | tr -d ' ')" "0:100001" "100,000 items exported (csv)"
if [ ! -x /usr/bin/time ]; then
	ok "# SKIP no /usr/bin/time to measure memory"
	ok "# SKIP no /usr/bin/time to measure memory"
else
	# (An AddressSanitizer build holds freed memory in quarantine: turn that off.)
	rss() {
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0:thread_local_quarantine_size_kb=0" \
			/usr/bin/time -f %M -o "$T/rss" \
			"$SCRAPER" export -d "$1" -t bulk -o "$T/files/rss.jsonl" && cat "$T/rss"
	}
	small=$(rss "$T/db/bulk10k.db")
	large=$(rss "$T/db/bulk100k.db")
	is "$(wc -l <"$T/files/rss.jsonl" | tr -d ' ')" 100000 "100,000 items exported (jsonl)"
	diag "peak RSS: 10,000 items ${small} KiB, 100,000 items ${large} KiB"
	if [ -n "$small" ] && [ -n "$large" ] && [ "$large" -le $((small + 2048)) ]; then
		ok "peak memory does not grow with the item count (${small} KiB, ${large} KiB)"
	else
		not_ok "peak memory does not grow with the item count (${small} KiB, ${large} KiB)"
	fi
fi

# Nothing but the databases in their folder: the read side leaves no -wal or -shm.
is "$(ls -A "$T/db" | tr '\n' ' ')" "bulk100k.db bulk10k.db items.db " \
   "no -wal or -shm files are left beside the databases"

run "$SCRAPER" export -d "$DB" -t thing -f csv -o "$T/files/again.csv"
golden "$T/files/again.csv" thing.csv "exports are repeatable, byte for byte"

done_testing
