# demo.sh: a crawl of the bundled demo shop, checked field by field against its ground
# truth (tests/demo-site/expected-products.tsv), plus what the server saw.
. "$top_srcdir/tests/lib.sh"

plan 18

SITE="$top_srcdir/tests/demo-site"
start_server PORT --root "$SITE" --log "$T/access.log"
BASE="http://127.0.0.1:$PORT"
echo "$BASE/index.html" >"$T/urls"

run "$SCRAPER" crawl -c "$top_srcdir/config/demo" -d "$T/shop.db" "$T/urls"
is "$status" 0 "the crawl exits 0"
like "$err" "crawl finished: 42 pages" "the summary counts 42 pages"

is "$(sql "$T/shop.db" "SELECT count(*) FROM pages WHERE status = 200")" 41 "41 pages fetched with 200"
is "$(sql "$T/shop.db" "SELECT state || ' ' || count(*) FROM frontier GROUP BY state ORDER BY state")" \
   "done 41
skipped 1" "frontier: 41 done, 1 skipped, nothing queued or in flight"
like "$(sql "$T/shop.db" "SELECT coalesce(status, 'NULL') || ' ' || error FROM pages WHERE url = '$BASE/cart/'")" \
     "^NULL .*robots\.txt" "/cart/ is recorded with status NULL and a robots.txt error"

# The server's view: robots.txt first, /cart/ never, nothing twice.
is "$(cut -f5 "$T/access.log" | head -1)" "/robots.txt" "robots.txt is the first request"
is "$(cut -f5 "$T/access.log" | grep -c '^/cart')" 0 "/cart/ is never requested"
is "$(cut -f5 "$T/access.log" | sort | uniq -d | wc -l)" 0 "no URL is requested twice"
is "$(wc -l <"$T/access.log")" 42 "42 requests in all (41 pages and robots.txt)"

# Every product, every field, exactly as the pages say (tags joined with |).
sql "$T/shop.db" "
  SELECT substr(url, length('$BASE') + 1) || char(9) || name || char(9) ||
         printf('%g', price) || char(9) || sku || char(9) || stock || char(9) ||
         in_stock || char(9) || rating || char(9) || origin || char(9) ||
         coalesce((SELECT group_concat(value, '|') FROM json_each(tags)), '') ||
         char(9) || category
  FROM product ORDER BY url" >"$T/got.tsv"
tail -n +2 "$SITE/expected-products.tsv" >"$T/want.tsv"
if diff "$T/want.tsv" "$T/got.tsv" >"$T/diff"; then
	ok "all 30 products match the ground truth field by field"
else
	not_ok "all 30 products match the ground truth field by field"
	diag "$(cat "$T/diff")"
fi
is "$(sql "$T/shop.db" "SELECT count(*) FROM listing")" 30 "30 listing items (one per product card)"
is "$(sql "$T/shop.db" "SELECT count(DISTINCT link) FROM listing WHERE link LIKE '$BASE/product/%'")" 30 \
   "listing links are absolute and point at the 30 products"
is "$(sql "$T/shop.db" "SELECT typeof(price) || typeof(stock) || typeof(in_stock) FROM product LIMIT 1")" \
   "realintegerinteger" "view columns are typed as the rule file says"

# A second run on the same database has nothing to do and fetches nothing.
lines=$(wc -l <"$T/access.log")
run "$SCRAPER" crawl -c "$top_srcdir/config/demo" -d "$T/shop.db" "$T/urls"
is "$status:$(wc -l <"$T/access.log")" "0:$lines" "running again fetches nothing"

# On a terminal: a live status line on stderr, redrawn in place.
rm -f "$T/tty.db"
script -qec "'$SCRAPER' crawl -c '$top_srcdir/config/demo' -d '$T/tty.db' '$T/urls'" /dev/null >"$T/tty.out"
like "$(tr '\r' '\n' <"$T/tty.out" | grep -c '[0-9]:[0-9][0-9], [0-9]* done, [0-9]* queued, .* pages/s (avg .*), [0-9]* items\?')" \
     "^[1-9]" "on a terminal the crawl shows a live status line"
like "$(tr '\r' '\n' <"$T/tty.out")" "crawl finished: 42 pages" "and the summary after it"

run "$SCRAPER" check -c "$top_srcdir/config/demo"
is "$status" 0 "the demo rules pass 'scraper check'"

run "$SCRAPER" try -c "$top_srcdir/config/demo" "$BASE/product/sencha-kyoto/index.html"
like "$out" '"name":"Sencha Kyoto","price":12.5' "'scraper try' shows the product's fields"

done_testing
