# history.sh: items over time.  An item type's key names its identity; a recrawl keeps
# every version (item_versions), moves only last_seen of an unchanged item, marks an
# item the page no longer has gone (and every item of a page that answers 404 or 410),
# leaves everything as it was on a 304; the views TYPE, TYPE_history and changes show
# it.  Then the worked example of the README: the demo shop with 10 prices changed and
# 5 products withdrawn.
. "$top_srcdir/tests/lib.sh"

plan 29

mkdir -p "$T/rules"
cat >"$T/rules/r.yaml" <<'YAML'
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
  need:
    each: "css: div.i"
    fields:
      x: { css: "u::text", required: true }
YAML
row() { printf '<div class=i><b>%s</b><i>%s</i></div>' "$1" "$2"; }
LINKS="<a href=/p404>x</a><a href=/p410>y</a><a href=/same>z</a>"
cat >"$T/routes1" <<ROUTES
/list body="$LINKS$(row A 1)$(row B 2)$(row C 3)"
/p404 body="$(row D 4)"
/p410 body="$(row E 5)"
/same etag=v1 body="$(row F 6)"
ROUTES
start_server S --routes "$T/routes1"
echo "http://127.0.0.1:$S/list" >"$T/urls"
run "$SCRAPER" crawl -q -c "$T/rules" -d "$T/db" "$T/urls"
is "$status:$(sql "$T/db" "SELECT group_concat(name, ',') FROM (SELECT name FROM row ORDER BY name)")" \
   "0:A,B,C,D,E,F" "first crawl: six items"
is "$(sql "$T/db" "SELECT change || ' ' || count(*) FROM changes GROUP BY change")" "added 6" \
   "each of them added"
is "$(sql "$T/db" "SELECT key FROM item_keys WHERE type = 'row' ORDER BY key LIMIT 1")" '["A"]' \
   "an item's key is its key fields' values, as a JSON array"
b_id=$(sql "$T/db" "SELECT id FROM row WHERE name = 'B'")
b_seen=$(sql "$T/db" "SELECT last_seen FROM row_history WHERE name = 'B'")
f_seen=$(sql "$T/db" "SELECT last_seen FROM row_history WHERE name = 'F'")

# The site changes: A's price, B moves down, C is no longer listed, two rows without a
# name (their key is their place on the page), a second B (the same key twice on one
# page: the first one counts), G is new; /p404 and /p410 are withdrawn; /same answers
# 304.
kill "$S_PID"
wait "$S_PID" 2>/dev/null
cat >"$T/routes2" <<ROUTES
/list body="$LINKS$(row A 5)$(row '' 7)$(row B 2)$(row B 9)$(row G 8)<div class=i><i>10</i></div>"
/p404 status=404 body="gone"
/p410 status=410 body="gone"
/same etag=v1 body="$(row F 6)"
ROUTES
start_server S2 --port "$S" --routes "$T/routes2" --log "$T/s2.log"
run "$SCRAPER" crawl -q --recrawl -c "$T/rules" -d "$T/db" "$T/urls"
is "$status" 0 "the recrawl exits 0"
is "$(sql "$T/db" "SELECT group_concat(name || '=' || price, ',') FROM (SELECT name, price FROM row WHERE name IS NOT NULL ORDER BY name)")" \
   "A=5.0,B=2.0,F=6.0,G=8.0" "the type's view holds the current items"
is "$(sql "$T/db" "SELECT count(*) FROM row WHERE name IS NULL")" 2 \
   "items without a key value are kept, under their page and position"
is "$(sql "$T/db" "SELECT group_concat(change || ':' || ifnull(old ->> 'name', '') || ':' || ifnull(new ->> 'name', ''), ' ')
	FROM (SELECT * FROM changes WHERE at > (SELECT started_at FROM runs WHERE id = 2)
	      ORDER BY change, old ->> 'name', new ->> 'name')")" \
   "added:: added:: added::G changed:A:A gone:C: gone:D: gone:E:" \
   "changes: G and two unnamed rows added, A changed, C gone from its page, D and E gone with theirs"
is "$(sql "$T/db" "SELECT old ->> 'price' || '>' || (new ->> 'price') FROM changes WHERE change = 'changed'")" \
   "1.0>5.0" "a change has the old and the new data"
is "$(sql "$T/db" "SELECT id FROM row WHERE name = 'B'")" "$b_id" "an item keeps its id across crawls"
is "$(sql "$T/db" "SELECT count(*) FROM row_history WHERE name = 'B'")" 1 \
   "an unchanged item has one version"
b_now=$(sql "$T/db" "SELECT last_seen FROM row_history WHERE name = 'B'")
if [ "$b_now" \> "$b_seen" ]; then ok "whose last_seen moved"; else not_ok "whose last_seen moved ($b_seen -> $b_now)"; fi
is "$(sql "$T/db" "SELECT price FROM row WHERE name = 'B'")" "2.0" \
   "the same key twice on a page: the first item is the one kept"
is "$(sql "$T/db" "SELECT group_concat(price || '@' || job, ' ') FROM (SELECT price, job FROM row_history WHERE name = 'A' ORDER BY first_seen)")" \
   "1.0@1 5.0@2" "TYPE_history has every version, with the run that saw it"
is "$(sql "$T/db" "SELECT count(*) FROM row_history WHERE gone_at IS NOT NULL")" 3 \
   "the versions that ended with their item gone say when"
is "$(sql "$T/db" "SELECT last_seen FROM row_history WHERE name = 'F'"):$(awk -F'\t' '$5 == "/same" { print $6 }' "$T/s2.log")" \
   "$f_seen:304" "a 304 changes nothing"
is "$(sql "$T/db" "SELECT count(*) FROM runs WHERE finished_at IS NOT NULL")" 2 "each crawl is a run"
run "$SCRAPER" stats -d "$T/db"
like "$out" "run 2 +crawl .* finished  3 added, 1 changed, 3 gone" "stats: what each run added, changed and marked gone"
run "$SCRAPER" stats -d "$T/db" -f json
like "$out" '"runs":\[\{"run":2,"kind":"crawl","job":null,"started_at":"[^"]*","finished_at":"[^"]*","added":3,"changed":1,"gone":3\},\{"run":1,' \
     "the same as JSON"
# Extraction problems are kept, with their page, item type and field.
is "$(sql "$T/db" "SELECT count(*), min(type), min(field) FROM problems WHERE url LIKE '%/list'")" "6|need|x" \
   "each extraction problem is kept with its page, type and field (the page's latest only)"
like "$out" '"problems":\{"total":[0-9]+,"by_reason":\[\{"reason":"item '"'"'…'"'"' dropped: required field '"'"'…'"'"' has no value","count":[0-9]+,"example":\{"url":"http://127.0.0.1:[0-9]+/[a-z0-9]+","message":"item '"'"'need'"'"' dropped: required field '"'"'x'"'"' has no value"\}\}\]\}' \
     "stats counts them by reason, with an example"
run "$SCRAPER" stats -d "$T/db"
like "$out" "extraction problems: [0-9]+" "and in the table"

# C comes back: added again (not changed: it was gone).
kill "$S2_PID"
wait "$S2_PID" 2>/dev/null
cat >"$T/routes3" <<ROUTES
/list body="$LINKS$(row A 5)$(row B 2)$(row C 3)$(row G 8)"
/p404 status=404 body="gone"
/p410 status=410 body="gone"
/same etag=v1 body="$(row F 6)"
ROUTES
start_server S3 --port "$S" --routes "$T/routes3"
run "$SCRAPER" crawl -q --recrawl -c "$T/rules" -d "$T/db" "$T/urls"
is "$(sql "$T/db" "SELECT group_concat(change, ' ') FROM (SELECT change FROM changes WHERE key = '[\"C\"]' ORDER BY at, change DESC)")" \
   "added gone added" "an item that comes back is added again"
is "$(sql "$T/db" "SELECT count(*) FROM changes WHERE change = 'gone' AND at > (SELECT started_at FROM runs WHERE id = 3)")" 2 \
   "the unnamed rows are gone; a page still answering 404 marks nothing gone twice"
is "$(sql "$T/db" "PRAGMA integrity_check")" ok "the database passes an integrity check"

# The worked example (README.md, "Items over time"): the demo shop, keyed by SKU (and
# its listing cards by link), 10 prices up by 10 % and 5 products withdrawn.
cp -R "$top_srcdir/tests/demo-site" "$T/shop"
start_server D --root "$T/shop"
echo "http://127.0.0.1:$D/index.html" >"$T/shop.urls"
run "$SCRAPER" crawl -q -c "$top_srcdir/config/demo" -d "$T/shop.db" "$T/shop.urls"
is "$status:$(sql "$T/shop.db" "SELECT count(*) FROM product")" "0:30" "the demo shop: 30 products"
sh "$top_srcdir/tests/demo-site-edit.sh" "$T/shop" || exit 99
run "$SCRAPER" crawl -q --recrawl -c "$top_srcdir/config/demo" -d "$T/shop.db" "$T/shop.urls"
is "$status:$(sql "$T/shop.db" "SELECT count(*) FROM product")" "0:25" "recrawled: 25 products"
is "$(sql "$T/shop.db" "SELECT type || ' ' || change || ' ' || count(*) FROM changes WHERE change <> 'added' GROUP BY type, change" | tr '\n' ',')" \
   "listing changed 10,listing gone 5,product changed 10,product gone 5," \
   "changes: 10 prices changed, 5 gone, in the product pages and the listings"
is "$(sql "$T/shop.db" "SELECT key || ' ' || (old ->> 'price') || ' ' || (new ->> 'price') FROM changes
	WHERE type = 'product' AND change = 'changed' AND key = '[\"TW-GT-001\"]'")" \
   '["TW-GT-001"] 12.5 13.75' "Sencha Kyoto's price went from 12.50 to 13.75"
is "$(sql "$T/shop.db" "SELECT group_concat(new ->> 'name', ',') FROM changes WHERE type = 'product' AND change = 'gone'")" \
   "" "a gone item's new data is NULL"

done_testing
