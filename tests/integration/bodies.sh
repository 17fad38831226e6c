# bodies.sh: stored bodies and reparse.  crawl --store-bodies (or store_bodies: true)
# keeps each 2xx body compressed, once per digest, with its headers; reparse applies
# changed rules to them with history and no request; --type and --site narrow it; a
# corrupt stored body is reported and its page left alone; reparse takes the crawl
# lock, refuses bad options, and upgrades an old database; --recrawl after a rule
# change fetches without validators so that the new rules apply.
. "$top_srcdir/tests/lib.sh"

plan 22

mkdir -p "$T/r1" "$T/r2"
cat >"$T/r1/r.yaml" <<'YAML'
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
  title:
    fields:
      t: "css: title::text"
YAML
# The new rules: the price is now a string, and a new field.
sed 's/price: { css: "i::text", type: number }/price: "css: i::text"\n      tag: "css: s::text"/' "$T/r1/r.yaml" >"$T/r2/r.yaml"
row() { printf '<div class=i><b>%s</b><i>%s</i><s>%s</s></div>' "$1" "$2" "$3"; }
cat >"$T/routes" <<ROUTES
/list etag=v1 body="<title>L</title><a href=/a>a</a><a href=/b>b</a><a href=/same>s</a>$(row A 1 x)$(row B 2 y)"
/a body="<title>A</title>$(row C 3 z)"
/b body="<title>A</title>$(row C 3 z)"
/same body="<title>L</title><a href=/a>a</a><a href=/b>b</a><a href=/same>s</a>$(row A 1 x)$(row B 2 y)"
ROUTES
start_server S --routes "$T/routes" --log "$T/s.log"
echo "http://127.0.0.1:$S/list" >"$T/urls"
run "$SCRAPER" crawl -q --store-bodies -c "$T/r1" -d "$T/db" "$T/urls"
is "$status:$(sql "$T/db" "SELECT count(*) FROM pages WHERE body IS NOT NULL")" "0:4" \
   "--store-bodies: every page's body is kept"
is "$(sql "$T/db" "SELECT count(*) || ' ' || sum(size) FROM bodies")" \
   "2 $(sql "$T/db" "SELECT sum(bytes) FROM pages WHERE url LIKE '%/a' OR url LIKE '%/list'")" \
   "once per content digest (two pages with the same body share one)"
is "$(sql "$T/db" "SELECT count(*) FROM bodies WHERE codec = 'zstd' AND length(digest) = 64")" 2 \
   "compressed with zstd, under their SHA-256"
like "$(sql "$T/db" "SELECT headers FROM pages WHERE url LIKE '%/list'" | tr '\r\n' '  ')" "^HTTP/1.1 200 OK .*ETag: \"v1\"" \
   "with the response headers"

# Without the option, a rule file can ask for it.
printf 'store_bodies: true\n' >>"$T/r1/r.yaml"
run "$SCRAPER" crawl -q -c "$T/r1" -d "$T/db2" "$T/urls"
is "$(sql "$T/db2" "SELECT count(*) FROM pages WHERE body IS NOT NULL")" 4 "store_bodies: true does the same"

# reparse: the new rules over the stored bodies, no request.
kill "$S_PID"
wait "$S_PID" 2>/dev/null
requests=$(wc -l <"$T/s.log")
cp "$T/db" "$T/db.before"
run "$SCRAPER" reparse -c "$T/r2" -d "$T/db"
is "$status" 0 "reparse exits 0 (the site is down: it needs no network)"
like "$err" "reparse: 4 pages, [0-9]+ items" "and says what it did"
is "$(sql "$T/db" "SELECT group_concat(name || '=' || price || '/' || tag, ',') FROM (SELECT * FROM row WHERE name IN ('A', 'B') ORDER BY name)")" \
   "A=1/x,B=2/y" "items are re-extracted with today's rules"
is "$(sql "$T/db" "SELECT change || ' ' || count(*) FROM changes WHERE at >= (SELECT started_at FROM runs WHERE kind = 'reparse') GROUP BY change")" \
   "changed 3" "with history: each changed item is a new version (A, B, C; titles unchanged)"
is "$(sql "$T/db" "SELECT count(DISTINCT rules_hash) FROM pages WHERE body IS NOT NULL")" 1 \
   "each page records the fingerprint of the rules it was extracted with"
is "$(sql "$T/db" "SELECT kind FROM runs ORDER BY id DESC LIMIT 1")" reparse "reparse is a run"

# --type and --site narrow it.
run "$SCRAPER" reparse -c "$T/r1" -d "$T/db" --type title
is "$status:$(sql "$T/db" "SELECT count(*) FROM changes WHERE at >= (SELECT max(started_at) FROM runs)")" "0:0" \
   "--type title: the rows keep today's versions (only titles re-extracted, unchanged)"
run "$SCRAPER" reparse -c "$T/r1" -d "$T/db" --site no.such.site
like "$status:$(printf '%s' "$err" | tr '\n' ' ')" "^0:.*no stored bodies of site no.such.site" "--site of no stored page: nothing, said so"

# A corrupt body: reported, its page's items left as they are.
sql "$T/db" "UPDATE bodies SET data = x'28b52ffd00112233' WHERE digest = (SELECT body FROM pages WHERE url LIKE '%/a')"
before=$(sql "$T/db" "SELECT count(*) FROM item_versions")
run "$SCRAPER" reparse -c "$T/r1" -d "$T/db"
like "$status:$(printf '%s' "$err" | tr '\n' ' ')" "^0:.*/a: stored body is corrupt.*left as they are" "a corrupt stored body is reported"
is "$(sql "$T/db" "SELECT count(*) FROM row WHERE name = 'C'")" 1 "and its page keeps its items"
sql "$T/db" "UPDATE bodies SET data = (SELECT data FROM bodies b2 WHERE b2.digest <> bodies.digest) WHERE digest = (SELECT body FROM pages WHERE url LIKE '%/a')"
run "$SCRAPER" reparse -c "$T/r1" -d "$T/db"
like "$err" "/a: stored body is corrupt|/a: stored body does not match its digest" "a body swapped for another's is caught"

# Bad options, the lock, an old database.
run "$SCRAPER" reparse -c "$T/r1" -d "$T/db" extra
is "$status" 2 "reparse: an unexpected argument is a usage error"
run "$SCRAPER" reparse -c "$T/r1" -d "$T/db" --site ""
is "$status" 2 "reparse: an empty --site is a usage error"
run "$SCRAPER" reparse -c "$T/nosuchdir" -d "$T/db"
is "$status" 2 "reparse: a missing rule folder is an error (exit 2)"
if command -v flock >/dev/null 2>&1; then
	run flock -x "$T/db" "$SCRAPER" reparse -c "$T/r1" -d "$T/db"
	like "$status:$err" "^1:.*" "reparse refuses a database whose crawl lock is held"
else
	ok "# SKIP flock(1) not installed"
fi
"$SQLITE3" "$T/v2.db" <"$FIXTURES/query/schema2.sql" >/dev/null
run "$SCRAPER" reparse -c "$top_srcdir/config/demo" -d "$T/v2.db"
is "$status:$(sql "$T/v2.db" "PRAGMA user_version")" "0:$(sed -n 's/^#define SCHEMA_VERSION \([0-9]*\).*/\1/p' "$top_srcdir/scraper/store/schema.h")" \
   "reparse brings a schema 2 database forward"

# --recrawl after a rule change: no validators, so the new rules apply (a 304 would
# have kept the old rules' items).
start_server S2 --port "$S" --routes "$T/routes" --log "$T/s2.log"
run "$SCRAPER" crawl -q --recrawl -c "$T/r2" -d "$T/db2" "$T/urls"
is "$(awk -F'\t' '$5 == "/list" { print $6 }' "$T/s2.log")" 200 \
   "--recrawl with changed rules fetches the page whole (no If-None-Match), and re-extracts it"

done_testing
