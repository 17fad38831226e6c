# structured.sh: what a site says about itself, through a real crawl and try:
#   - sitemap: true: robots.txt's Sitemap: lines -> an index -> two sitemaps (one sent
#     with Content-Encoding: gzip, one a .xml.gz file) -> pages crawled at depth 0;
#     sitemap_allow filters; another site's URLs are ignored; a broken sitemap is its
#     page's error and the URLs before the fault are still crawled; robots.txt still
#     rules what is fetched; each sitemap is fetched once; without Sitemap: lines,
#     /sitemap.xml
#   - robots meta and X-Robots-Tag under robots: obey: nofollow keeps links from being
#     followed, noindex is pages.noindex, items are still extracted; another crawler's
#     X-Robots-Tag is not ours; under robots: ignore none of it counts
#   - jsonld: and microdata: fields in a crawl and in try, and their rule-file errors
. "$top_srcdir/tests/lib.sh"

plan 37

mkdir -p "$T/root/p" "$T/c" "$T/db"
cat >"$T/routes" <<EOF
/sitemap-a.xml file=sitemap-a.xml type=application/xml gzip
/sitemap-b.xml.gz file=sitemap-b.xml.gz type=application/gzip
/sitemap-broken.xml file=sitemap-broken.xml type=text/xml
/p/2.html file=p/2.html type=text/html header="X-Robots-Tag: noindex" header="X-Robots-Tag: otherbot: nofollow"
/p/from-2b.html file=p/from-2b.html type=text/html header="X-Robots-Tag: scraper: noindex, nofollow"
EOF
start_server P --root "$T/root" --routes "$T/routes" --log "$T/log"
H="127.0.0.1:$P"
B="http://$H"

# ---- the site ----

cat >"$T/root/robots.txt" <<EOF
User-agent: *
Disallow: /private/
Sitemap: $B/sitemap_index.xml
Sitemap: http://other.test/sitemap.xml
EOF
cat >"$T/root/sitemap_index.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>$B/sitemap-a.xml</loc><lastmod>2024-01-01</lastmod></sitemap>
  <sitemap><loc>$B/sitemap-b.xml.gz</loc></sitemap>
  <sitemap><loc>$B/sitemap-broken.xml</loc></sitemap>
  <sitemap><loc>http://other.test/sitemap-x.xml</loc></sitemap>
</sitemapindex>
EOF
cat >"$T/root/sitemap-a.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>$B/p/1.html</loc></url>
  <url><loc>$B/p/2.html</loc></url>
  <url><loc>$B/private/3.html</loc></url>
  <url><loc>$B/elsewhere/4.html</loc></url>
  <url><loc>http://other.test/p/9.html</loc></url>
</urlset>
EOF
cat >"$T/sitemap-b.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>$B/p/3.html</loc></url>
  <url><loc>$B/p/1.html</loc></url>
</urlset>
EOF
gzip -c "$T/sitemap-b.xml" >"$T/root/sitemap-b.xml.gz"
printf '<?xml version="1.0"?>\n<urlset><url><loc>%s/p/5.html</loc></url>\n<url><loc>%s/p/6.ht' \
	"$B" "$B" >"$T/root/sitemap-broken.xml"

# product PAGE NAME PRICE EXTRA-HEAD EXTRA-BODY
product() {
	cat >"$T/root/p/$1.html" <<EOF
<html><head><title>$2</title>$4
<script type="application/ld+json">
{"@context": "https://schema.org", "@graph": [
  {"@type": "WebPage", "name": "page $1"},
  {"@type": ["Product", "Thing"], "name": "$2", "offers": [{"@type": "Offer", "price": "$3"}]}]}
</script></head><body>
<div itemscope itemtype="https://schema.org/Product"><span itemprop="sku">SKU-$1</span>
<div itemprop="offers" itemscope itemtype="https://schema.org/Offer"><meta itemprop="priceCurrency" content="EUR"></div></div>
$5
</body></html>
EOF
}
product 1 "Lamp" "19.90" '<meta name="robots" content="nofollow">' '<a href="/p/from-1.html">x</a>'
product 2 "Chair" "45" '' '<a href="/p/from-2.html">x</a> <a href="/p/from-2b.html">y</a>'
product 3 "Desk" "120.5" '<meta name="ROBOTS" content="noindex">' ''
product 5 "Shelf" "30" '' ''
product from-2 "Stool" "12" '' ''
product from-2b "Bench" "15" '' ''
echo '<html><body><a href="/about.html">about</a></body></html>' >"$T/root/index.html"

cat >"$T/c/site.yaml" <<EOF
site: $H
delay: 0
robots: obey
sitemap: true
sitemap_allow: "/p/|/private/"
follow:
  - "css: a::attr(href)"
items:
  product:
    match: "/p/"
    fields:
      name: "jsonld: Product.name"
      price: { jsonld: "Product.offers.price", type: number }
      sku: "microdata: Product.sku"
      currency: "microdata: Product.offers.priceCurrency"
EOF
echo "$B/" >"$T/seeds"
DB="$T/db/s.db"
run "$SCRAPER" crawl -q -c "$T/c" -d "$DB" "$T/seeds"
is "$status" 0 "crawl with sitemap: true exits 0"
[ "$status" -eq 0 ] || diag "$err"

front() { sql "$DB" "SELECT state || ':' || depth FROM frontier WHERE url = '$B$1'"; }
is "$(front /sitemap_index.xml)" "done:0" "robots.txt's Sitemap: line is fetched at depth 0"
is "$(sql "$DB" "SELECT count(*) FROM frontier WHERE url LIKE '%other.test%'")" 0 \
	"another site's sitemap or page in robots.txt or a sitemap is ignored"
is "$(front /sitemap-a.xml):$(front /sitemap-b.xml.gz)" "done:0:done:0" \
	"the index's sitemaps are fetched (one sent gzip-encoded, one a .xml.gz file)"
is "$(front /p/1.html):$(front /p/2.html):$(front /p/3.html)" "done:0:done:0:done:0" \
	"the pages they list are crawled at depth 0, the .gz one's too"
is "$(front /elsewhere/4.html)" "" "sitemap_allow keeps what it does not match out of the frontier"
is "$(front /private/3.html)" "skipped:0" "robots.txt still decides what is fetched"
like "$(sql "$DB" "SELECT error FROM pages WHERE url = '$B/private/3.html'")" "robots\\.txt" \
	"and says so on the page row"
is "$(sql "$DB" "SELECT status FROM pages WHERE url = '$B/sitemap-broken.xml'")" 200 \
	"a broken sitemap is a page with its status"
like "$(sql "$DB" "SELECT error FROM pages WHERE url = '$B/sitemap-broken.xml'")" \
	"^sitemap: malformed XML" "whose error says the sitemap is malformed"
is "$(front /p/5.html)" "done:0" "the URLs before the fault are crawled"
is "$(front /p/6.html)" "" "and the cut-off one is not"
is "$(cut -f5 "$T/log" | grep -c '^/sitemap')" 4 "each of the four sitemaps is requested once"
is "$(cut -f5 "$T/log" | grep -c '^/robots.txt')" 1 "robots.txt once"
like "$(grep '/sitemap-a.xml' "$T/log" | cut -f8)" "gzip" "sitemaps are asked for with Accept-Encoding"

# robots meta and X-Robots-Tag
is "$(front /p/from-1.html)" "" "<meta name=robots content=nofollow>: the page's links are not followed"
is "$(front /p/from-2.html)" "done:1" "another crawler's X-Robots-Tag nofollow is not ours: followed"
ni() { sql "$DB" "SELECT noindex FROM pages WHERE url = '$B$1'"; }
is "$(ni /p/1.html):$(ni /p/2.html):$(ni /p/3.html)" "0:1:1" \
	"noindex from X-Robots-Tag and from <meta name=ROBOTS> is pages.noindex"
is "$(ni /p/from-2b.html)" 1 "X-Robots-Tag for our user agent by name counts"
is "$(sql "$DB" "SELECT name || ' ' || price || ' ' || sku || ' ' || currency FROM product WHERE url = '$B/p/3.html'")" \
	"Desk 120.5 SKU-3 EUR" "items are still extracted from a noindex page, jsonld and microdata alike"
is "$(sql "$DB" "SELECT count(*) FROM product")" 6 "every product page gave its item"
is "$(sql "$DB" "SELECT typeof(price) FROM product WHERE url = '$B/p/2.html'")" real \
	"a jsonld number field is a REAL column"
is "$(sql "$DB" "SELECT count(*) FROM items WHERE url LIKE '%sitemap%'")" 0 "sitemaps give no items"

# ---- again: nothing new to fetch; then no Sitemap: lines means /sitemap.xml ----
: >"$T/log"
run "$SCRAPER" crawl -q -c "$T/c" -d "$DB" "$T/seeds"
is "$status:$(wc -l <"$T/log" | tr -d ' ')" "0:0" "a second crawl fetches no sitemap again"

printf 'User-agent: *\nDisallow: /private/\n' >"$T/root/robots.txt"
cat >"$T/root/sitemap.xml" <<EOF
<urlset><url><loc>$B/p/5.html</loc></url></urlset>
EOF
DB2="$T/db/s2.db"
: >"$T/log"
run "$SCRAPER" crawl -q -c "$T/c" -d "$DB2" "$T/seeds"
is "$(sql "$DB2" "SELECT state || ':' || depth FROM frontier WHERE url = '$B/sitemap.xml'")" "done:0" \
	"without Sitemap: lines, /sitemap.xml"
is "$(sql "$DB2" "SELECT state FROM frontier WHERE url = '$B/p/5.html'")" "done" "and what it lists"

# ---- robots: ignore: robots meta and X-Robots-Tag do not count ----
sed -e 's/^robots: obey/robots: ignore/' -e '/^sitemap/d' "$T/c/site.yaml" >"$T/ignore.yaml"
mkdir -p "$T/c2" && mv "$T/ignore.yaml" "$T/c2/site.yaml"
echo "$B/p/1.html" >"$T/seeds2"
echo "$B/p/2.html" >>"$T/seeds2"
DB3="$T/db/s3.db"
run "$SCRAPER" crawl -q -c "$T/c2" -d "$DB3" "$T/seeds2"
is "$(sql "$DB3" "SELECT count(*) FROM frontier WHERE url = '$B/p/from-1.html'")" 1 \
	"robots: ignore: a nofollow page's links are followed"
is "$(sql "$DB3" "SELECT group_concat(noindex) FROM pages WHERE url LIKE '%/p/2.html'")" 0 \
	"and noindex is not recorded"
is "$(sql "$DB3" "SELECT count(*) FROM frontier WHERE url LIKE '%sitemap%'")" 0 \
	"without sitemap: true no sitemap is fetched"

# ---- try ----
run "$SCRAPER" try -c "$T/c" "$T/root/p/3.html" --url "$B/p/3.html"
like "$out" '"name":"Desk","price":120.5,"sku":"SKU-3","currency":"EUR"' "try: jsonld and microdata fields"
run "$SCRAPER" try -c "$T/c" "$T/root/p/1.html" --url "$B/p/1.html" --explain
like "$out" "nofollow" "try --explain: a nofollow page's links, in words"

# ---- rule-file errors ----
mkdir -p "$T/bad"
cat >"$T/bad/site.yaml" <<EOF
site: bad.test
sitemap: maybe
sitemap_allow: "([a-z"
items:
  t:
    fields:
      a: { jsonld: "Product..name" }
      b: { microdata: "Product.image", attr: src }
EOF
run "$SCRAPER" check -c "$T/bad"
is "$status" 2 "check: errors exit 2"
like "$out" "site.yaml:2:10: 'sitemap' wants true or false" "sitemap: maybe, at its line and column"
like "$out" "site.yaml:3:22: invalid regex" "a bad sitemap_allow, at its line and column"
like "$out" "site.yaml:3:1: 'sitemap_allow' filters what the sitemaps list: it needs 'sitemap: true'" \
	"sitemap_allow without sitemap: true"
like "$out" "site.yaml:7:29: empty segment in the path" "a bad jsonld path, at the character"
like "$out" "site.yaml:8:40: 'attr' needs 'css' or 'xpath'" "attr on a microdata field"

done_testing
