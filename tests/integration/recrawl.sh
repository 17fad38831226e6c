# recrawl.sh: --recrawl fetches done pages again with If-None-Match / If-Modified-Since
# from what was stored; a 304 keeps the stored items and updates fetched_at; a changed
# page has its items replaced (fewer items: the extra ones go).
. "$top_srcdir/tests/lib.sh"

plan 9

mkdir -p "$T/rules"
cat >"$T/rules/r.yaml" <<'YAML'
site: "127.0.0.1"
delay: 0
follow:
  - "css: a::attr(href)"
items:
  entry:
    each: "css: li"
    fields:
      text: "css: li::text"
YAML
LM="Wed, 21 Oct 2015 07:28:00 GMT"
cat >"$T/routes1" <<ROUTES
/same etag=v1 last-modified="$LM" body="<ul><li>one</li><li>two</li></ul><a href=/changes>c</a>"
/changes body="<ul><li>a</li><li>b</li><li>c</li></ul>"
ROUTES
start_server S --routes "$T/routes1" --log "$T/s1.log"
echo "http://127.0.0.1:$S/same" >"$T/urls"
run "$SCRAPER" crawl -q -c "$T/rules" -d "$T/db" "$T/urls"
is "$status:$(sql "$T/db" "SELECT count(*) FROM entry")" "0:5" "first crawl: five items"
is "$(sql "$T/db" "SELECT etag || ' / ' || last_modified FROM pages WHERE url LIKE '%/same'")" "\"v1\" / $LM" \
   "the validators are stored"
before=$(sql "$T/db" "SELECT fetched_at FROM pages WHERE url LIKE '%/same'")

# The site changes: /changes now has two entries.  Same port, new behaviour.
kill "$S_PID"
wait "$S_PID" 2>/dev/null
cat >"$T/routes2" <<ROUTES
/same etag=v1 last-modified="$LM" body="<ul><li>one</li><li>two</li></ul><a href=/changes>c</a>"
/changes body="<ul><li>x</li><li>y</li></ul>"
ROUTES
start_server S2 --port "$S" --routes "$T/routes2" --log "$T/s2.log"

run "$SCRAPER" crawl -q -c "$T/rules" -d "$T/db" "$T/urls"
is "$(wc -l <"$T/s2.log")" 0 "without --recrawl nothing is fetched again"
run "$SCRAPER" crawl -q --recrawl -c "$T/rules" -d "$T/db" "$T/urls"
is "$status" 0 "--recrawl exits 0"
is "$(awk -F'\t' '$5 == "/same" { print $6 " " $10 " / " $11 }' "$T/s2.log")" "304 \"v1\" / $LM" \
   "--recrawl sends If-None-Match and If-Modified-Since, and gets 304"
is "$(sql "$T/db" "SELECT status FROM pages WHERE url LIKE '%/same'")" 200 "a 304 keeps the stored status"
is "$(sql "$T/db" "SELECT group_concat(text, ',') FROM (SELECT text FROM entry WHERE url LIKE '%/same' ORDER BY idx)")" \
   "one,two" "a 304 keeps the stored items"
after=$(sql "$T/db" "SELECT fetched_at FROM pages WHERE url LIKE '%/same'")
if [ "$after" \> "$before" ]; then ok "a 304 updates fetched_at ($before -> $after)"; else not_ok "a 304 updates fetched_at ($before -> $after)"; fi
is "$(sql "$T/db" "SELECT group_concat(text, ',') FROM (SELECT text FROM entry WHERE url LIKE '%/changes' ORDER BY idx)")" \
   "x,y" "a changed page's items are replaced, the extra old one removed"

done_testing
