# query.sh: scraper query: every output format against golden files (awkward values:
# NULL, quotes, commas, newlines, tabs, non-ASCII, long text, number-like strings,
# blobs, invalid UTF-8), SQL errors with their position, statements that would write
# refused with the database and its folder left exactly as they were, a missing
# database, and the README's three questions on a crawled demo site.
. "$top_srcdir/tests/lib.sh"

plan 93

G="$FIXTURES/query"
DB="$T/db/awkward.db"
mkdir -p "$T/db"
"$SQLITE3" "$DB" <"$G/awkward.sql" >/dev/null || { echo "Bail out! cannot build $DB"; exit 99; }
Q="SELECT id, label, typeof(value) AS type, value FROM awkward ORDER BY id"

# golden FORMAT: the awkward rows in that format, byte for byte.
for f in table csv json jsonl; do
	run "$SCRAPER" query -d "$DB" -f "$f" "$Q"
	if [ "$status" -eq 0 ] && cmp -s "$T/out" "$G/awkward.$f"; then
		ok "-f $f matches the golden file"
	else
		not_ok "-f $f matches the golden file"
		diag "status $status" "$err"
		diff "$G/awkward.$f" "$T/out" | head -20 | sed 's/^/# /'
	fi
done

# Wide characters (two columns each) and cut text keep the columns after them aligned.
run "$SCRAPER" query -d "$DB" -f table "SELECT label, value, id FROM awkward WHERE id IN (3, 7, 8, 9, 11, 13) ORDER BY id"
check "-f table: columns after wide and cut text line up (golden)" cmp -s "$T/out" "$G/widths.table"

run "$SCRAPER" query -d "$DB" "$Q"
check "csv is the default when standard output is not a terminal" cmp -s "$T/out" "$G/awkward.csv"
like "$(od -c "$T/out" | head -2)" '\\r +\\n' "csv lines end in CRLF"

# Column names that repeat still make JSON objects with distinct keys.
run "$SCRAPER" query -d "$DB" -f json "SELECT 1 AS a, 2 AS a, 3 AS a_2, 4 AS a"
is "$out" '[
{"a":1,"a_3":2,"a_2":3,"a_4":4}
]' "repeated column names get distinct JSON keys"
run "$SCRAPER" query -d "$DB" -f jsonl "SELECT id, id FROM awkward WHERE id = 1"
is "$out" '{"id":1,"id_2":1}' "jsonl too"

# Empty results.
run "$SCRAPER" query -d "$DB" -f csv "SELECT id, label FROM awkward WHERE 0"
is "$out" "$(printf 'id,label\r')" "csv: no rows, still the header"
run "$SCRAPER" query -d "$DB" -f json "SELECT id FROM awkward WHERE 0"
is "$out" "[]" "json: no rows is []"
run "$SCRAPER" query -d "$DB" -f jsonl "SELECT id FROM awkward WHERE 0"
is "$status:$out" "0:" "jsonl: no rows, no output"
run "$SCRAPER" query -d "$DB" -f table "SELECT id FROM awkward WHERE 0"
is "$out" "$(printf 'id\n--\n(0 rows)')" "table: no rows, the header and (0 rows)"

# Reading SQL the authorizer must not get in the way of.
run "$SCRAPER" query -d "$DB" -f csv "SELECT key, value FROM json_each('{\"a\":[1,2]}')"
is "$status:$out" "$(printf '0:key,value\r\na,"[1,2]"\r')" "table-valued functions work (json_each)"
run "$SCRAPER" query -d "$DB" -f csv "SELECT name FROM pragma_table_info('awkward')"
is "$(printf '%s' "$out" | tr -d '\r' | tr '\n' ' ')" "name id label value" "pragma_table_info works"
run "$SCRAPER" query -d "$DB" "PRAGMA table_info(awkward)"
is "$status" 0 "PRAGMA table_info(t) is allowed"
run "$SCRAPER" query -d "$DB" "PRAGMA user_version"
is "$status:$(printf '%s' "$out" | tr -d '\r' | tr '\n' ' ')" "0:user_version 0" "reading PRAGMA user_version is allowed"
run "$SCRAPER" query -d "$DB" -f csv "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3) SELECT sum(i) FROM n"
is "$status:$(printf '%s' "$out" | tail -1 | tr -d '\r')" "0:6" "WITH RECURSIVE works"
run "$SCRAPER" query -d "$DB" "EXPLAIN QUERY PLAN SELECT * FROM awkward WHERE id = 3"
is "$status" 0 "EXPLAIN QUERY PLAN works"

# SQL errors: SQLite's message, where, and a caret under the spot; exit 2.
run "$SCRAPER" query -d "$DB" "SELECT id, labl FROM awkward"
is "$status" 2 "an unknown column exits 2"
is "$err" 'scraper: error: no such column: labl (line 1, column 12)
  SELECT id, labl FROM awkward
             ^' "it names the column and points at it"
run "$SCRAPER" query -d "$DB" "$(printf 'SELECT id,\n  label,\nFROM awkward')"
is "$err" 'scraper: error: near "FROM": syntax error (line 3, column 1)
  FROM awkward
  ^' "a syntax error on line 3 shows that line"
run "$SCRAPER" query -d "$DB" "SELECT 1; SELECT 2"
is "$status" 2 "two statements exit 2"
like "$err" "give one SQL statement" "and say one statement only"
run "$SCRAPER" query -d "$DB" "SELECT 1; -- a comment"
is "$status" 0 "a trailing comment is not a second statement"
run "$SCRAPER" query -d "$DB" "  -- nothing"
is "$status" 2 "no statement at all exits 2"

# A typo is SQLite's own syntax error, never "read-only": not in the first word, not in
# a statement that would have written had it been well formed.
run "$SCRAPER" query -d "$DB" "SELEC id FROM awkward"
is "$status:$err" '2:scraper: error: near "SELEC": syntax error (line 1, column 1)
  SELEC id FROM awkward
  ^' "a typo in the first word is a syntax error with its position"
run "$SCRAPER" query -d "$DB" "DELETE awkward"
is "$status:$err" '2:scraper: error: near "awkward": syntax error (line 1, column 8)
  DELETE awkward
         ^' "a write that does not parse is a syntax error, not read-only"
run "$SCRAPER" query -d "$DB" "PRAGMA no_such_pragma"
is "$status" 2 "a PRAGMA query does not run exits 2"
if printf '%s' "$err" | grep -q "read-only"; then
	not_ok "and does not say read-only (it writes nothing)"; diag "$err"
else
	ok "and does not say read-only (it writes nothing)"
fi
like "$err" "PRAGMA no_such_pragma is not one of the pragmas query runs" "it says which pragmas run"

# SQL from standard input: with -, and with no SQL when standard input is not a terminal.
printf 'SELECT id,\n  label\nFROM awkward WHERE id = 1\n' >"$T/one.sql"
run "$SCRAPER" query -d "$DB" -f csv - <"$T/one.sql"
is "$status:$(printf '%s' "$out" | tr -d '\r' | tr '\n' ' ')" "0:id,label 1,null" "SQL from standard input with -"
run "$SCRAPER" query -d "$DB" -f csv <"$T/one.sql"
is "$status:$(printf '%s' "$out" | tr -d '\r' | tr '\n' ' ')" "0:id,label 1,null" "and with no SQL argument"
printf 'SELECT id,\n  labl FROM awkward\n' >"$T/bad.sql"
run "$SCRAPER" query -d "$DB" - <"$T/bad.sql"
is "$status:$err" '2:scraper: error: no such column: labl (line 2, column 3)
    labl FROM awkward
    ^' "an error in SQL from standard input points into it"
run "$SCRAPER" query -d "$DB" - </dev/null
is "$status:$err" "2:scraper: error: no SQL statement given: standard input was empty" "empty standard input exits 2 and says so"
printf '  \n\n' >"$T/blank.sql"
run "$SCRAPER" query -d "$DB" <"$T/blank.sql"
is "$status" 2 "blank standard input exits 2"

# Options before or after the SQL; SQL that starts with - after --.
run "$SCRAPER" query "SELECT count(*) AS n FROM awkward" -f jsonl -d "$DB"
is "$status:$out" '0:{"n":20}' "options after the SQL"
run "$SCRAPER" query -d "$DB" -f jsonl -- "-- a comment first
SELECT 7 AS n"
is "$status:$out" '0:{"n":7}' "SQL starting with - after --"
run "$SCRAPER" query -d "$DB" "SELECT 1" "SELECT 2" </dev/null
is "$status" 2 "two SQL arguments exit 2"

# --tables and --schema.
run "$SCRAPER" query -d "$DB" -f csv --tables
is "$status:$(printf '%s' "$out" | tr -d '\r')" '0:name,type,columns
awkward,table,"id, label, value"' "--tables lists the tables with their columns"
run "$SCRAPER" query -d "$DB" --schema
is "$status:$out" "0:CREATE TABLE awkward(id INTEGER PRIMARY KEY, label TEXT NOT NULL, value);" "--schema prints the CREATE statements"
run "$SCRAPER" query --schema AWKWARD -d "$DB"
is "$status:$out" "0:CREATE TABLE awkward(id INTEGER PRIMARY KEY, label TEXT NOT NULL, value);" "--schema NAME: that table (names are case-blind, as in SQL)"
run "$SCRAPER" query -d "$DB" --schema nosuch
is "$status:$out:$err" "2::scraper: error: no table or view named 'nosuch' in $DB; there are: awkward" \
   "--schema with an unknown name exits 2 and lists the names there are"
run "$SCRAPER" query -d "$DB" --schema a b
is "$status" 2 "--schema with two names exits 2"
run "$SCRAPER" query -d "$DB" --tables "SELECT 1"
is "$status" 2 "--tables with SQL exits 2"
run "$SCRAPER" query -d "$DB" --tables --schema
is "$status" 2 "--tables and --schema together exit 2"

# No silent cutting in the table format: a note on stderr counts the cut cells;
# --no-truncate shows them whole.
run "$SCRAPER" query -d "$DB" -f table "SELECT id, value FROM awkward WHERE typeof(value) = 'text' AND length(value) > 60"
like "$(printf '%s' "$out" | sed -n 3p)" '…$' "a long cell is cut to fit"
like "$err" '^scraper: note: [1-9][0-9]* cells? (was|were) cut to fit .*--no-truncate' "and a note says so, and how to see it whole"
cut=$(printf '%s' "$err" | sed -n 's/^scraper: note: \([0-9]*\) .*/\1/p')
is "$cut" "$(sql "$DB" "SELECT count(*) FROM awkward WHERE typeof(value) = 'text' AND length(value) > 60")" "the note counts every cut cell"
run "$SCRAPER" query -d "$DB" -f table --no-truncate "SELECT value FROM awkward WHERE typeof(value) = 'text' AND length(value) > 60 ORDER BY id LIMIT 1"
is "$status:$err" "0:" "--no-truncate: no note"
is "$(printf '%s\n' "$out" | sed -n 3p)" "$(sql "$DB" "SELECT value FROM awkward WHERE typeof(value) = 'text' AND length(value) > 60 ORDER BY id LIMIT 1")" \
   "--no-truncate shows the cell whole"
run "$SCRAPER" query -d "$DB" -f table "SELECT id FROM awkward"
is "$err" "" "nothing cut, no note"

# Statements that would write: refused, exit 2, and nothing on disk changes, not the
# database's bytes, not its mtime, and no file appears or goes (no -wal, -shm,
# attached or vacuumed file).
cp -p "$DB" "$T/before.db"
# (-A: the folder's own mtime moves, as SQLite makes and removes -wal and -shm files
# for any reader of a WAL database; what is in it must not.)
listing() { (cd "$T/db" && ls -lA --time-style=+%s.%N); }
listing >"$T/ls.before"
refuse() {
	run "$SCRAPER" query -d "$DB" "$1"
	if [ "$status" -eq 2 ] && printf '%s' "$err" | grep -q "refused: .*read-only"; then
		ok "refused: $1"
	else
		not_ok "refused: $1"
		diag "status $status" "$err"
	fi
}
refuse "INSERT INTO awkward VALUES (100, 'x', 1)"
refuse "UPDATE awkward SET value = 1"
refuse "DELETE FROM awkward"
refuse "DROP TABLE awkward"
refuse "CREATE TABLE t(x)"
refuse "CREATE TEMP TABLE t(x)"
refuse "CREATE INDEX i ON awkward(label)"
refuse "ALTER TABLE awkward ADD COLUMN y"
refuse "ATTACH DATABASE '$T/db/attached.db' AS a"
refuse "PRAGMA user_version = 9"
refuse "PRAGMA journal_mode = DELETE"
refuse "VACUUM INTO '$T/db/copy.db'"
refuse "VACUUM"
refuse "REINDEX"
refuse "ANALYZE"
refuse "BEGIN"
refuse "WITH x AS (SELECT 1) INSERT INTO awkward SELECT 100, 'x', 1 FROM x"
check "the database's bytes are unchanged" cmp -s "$DB" "$T/before.db"
is "$(stat -c %Y.%y "$DB")" "$(stat -c %Y.%y "$T/before.db")" "its mtime is unchanged"
listing >"$T/ls.after"
check "its folder is unchanged: no file made or removed" cmp -s "$T/ls.before" "$T/ls.after"
is "$(sql "$DB" "SELECT count(*), max(id) FROM awkward; PRAGMA user_version")" "$(printf '20|20\n0')" \
   "the rows and user_version are as they were"

# A database that is not there is an error naming it, and is not made.
run "$SCRAPER" query -d "$T/db/missing.db" "SELECT 1"
is "$status" 1 "a missing database exits 1"
like "$err" "cannot open database $T/db/missing.db: No such file" "and names the path"
check "and it is not created" test ! -e "$T/db/missing.db"
echo "not a database" >"$T/junk.db"
run "$SCRAPER" query -d "$T/junk.db" "SELECT 1"
is "$status" 1 "a file that is not a database exits 1"

# Output that cannot be written is an error.
if [ -w /dev/full ]; then
	"$SCRAPER" query -d "$DB" -f csv "$Q" >/dev/full 2>"$T/err"
	is "$?" 1 "a write error (disk full) exits 1"
else
	ok "# SKIP no /dev/full"
fi

# The README's questions, on a crawled demo site: one command each.
start_server PORT --root "$top_srcdir/tests/demo-site"
echo "http://127.0.0.1:$PORT/index.html" >"$T/urls"
run "$SCRAPER" crawl -q -c "$top_srcdir/config/demo" -d "$T/shop.db" "$T/urls"
is "$status" 0 "the demo site is crawled"

run "$SCRAPER" query -d "$T/shop.db" -f csv "SELECT name, price FROM product ORDER BY price, name LIMIT 10"
want=$(awk -F'\t' 'NR > 1 { print $3 "\t" $2 }' "$top_srcdir/tests/demo-site/expected-products.tsv" |
	LC_ALL=C sort -t "$(printf '\t')" -k1,1n -k2,2 | head -10 |
	awk -F'\t' '{ printf "%s,%.2f\n", $2, $1 }')
got=$(printf '%s\n' "$out" | tr -d '\r' | tail -n +2 | awk -F, '{ printf "%s,%.2f\n", $1, $2 }')
is "$got" "$want" "the ten cheapest products"

run "$SCRAPER" query -d "$T/shop.db" -f csv "SELECT site, type, count(*) AS items FROM items GROUP BY site, type ORDER BY site, type"
is "$(printf '%s' "$out" | tr -d '\r')" "site,type,items
127.0.0.1:$PORT,listing,30
127.0.0.1:$PORT,product,30" "items per site"

run "$SCRAPER" query -d "$T/shop.db" -f csv "SELECT url, status, error FROM pages WHERE error IS NOT NULL ORDER BY url"
is "$(printf '%s' "$out" | tr -d '\r')" "url,status,error
http://127.0.0.1:$PORT/cart/,,disallowed by robots.txt" "which pages failed and why"

# JSON typed as the item views say: a bool field is true/false, an all: true field an
# array, items.data an object; a renamed or computed column is as SQLite gives it.
run "$SCRAPER" query -d "$T/shop.db" -f jsonl "SELECT name, in_stock, tags, stock FROM product WHERE sku = 'TW-BT-001'"
is "$status:$out" '0:{"name":"Assam Harmutty Estate","in_stock":true,"tags":["malty","single estate"],"stock":22}' \
   "jsonl: a bool field is true, an all: true field an array"
run "$SCRAPER" query -d "$T/shop.db" -f json "SELECT tags, in_stock FROM product WHERE in_stock = 0 ORDER BY sku LIMIT 1"
like "$out" '^\[
\{"tags":(\[.*\]|null),"in_stock":false\}
\]$' "json: false, and an array"
run "$SCRAPER" query -d "$T/shop.db" -f jsonl "SELECT in_stock AS available, upper(name) AS tags, length(tags) AS in_stock FROM product WHERE sku = 'TW-BT-001'"
is "$out" '{"available":1,"tags":"ASSAM HARMUTTY ESTATE","in_stock":25}' "renamed and computed columns are not retyped"
run "$SCRAPER" query -d "$T/shop.db" -f jsonl "SELECT data FROM items WHERE type = 'product' AND json_extract(data, '$.sku') = 'TW-BT-001'"
like "$out" '^\{"data":\{"name":"Assam Harmutty Estate",.*"tags":\["malty","single estate"\]' "items.data is a JSON object"
run "$SCRAPER" query -d "$T/shop.db" -f csv "SELECT in_stock, tags FROM product WHERE sku = 'TW-BT-001'"
is "$(printf '%s' "$out" | tr -d '\r')" 'in_stock,tags
1,"[""malty"",""single estate""]"' "csv keeps SQLite's values"

# --schema NAME on a view: its SQL, then its columns and what each holds.
run "$SCRAPER" query -d "$T/shop.db" --schema product
like "$out" '^CREATE VIEW "product" AS SELECT' "--schema VIEW prints the view's SQL"
like "$(printf '%s' "$out" | grep '^--   in_stock ')" 'bool$' "a bool field is shown as bool"
like "$(printf '%s' "$out" | grep '^--   tags ')" 'JSON array$' "an all: true field as a JSON array"
like "$(printf '%s' "$out" | grep '^--   price ')" 'REAL$' "a number field as REAL"
like "$(printf '%s' "$out" | grep '^--   id ')" 'INTEGER$' "id as INTEGER"
run "$SCRAPER" query -d "$T/shop.db" -f csv --tables
like "$(printf '%s' "$out" | tr -d '\r' | grep '^product,')" '^product,view,"id, url, name, price' "--tables marks views"

done_testing
