# explain.sh: why a crawl does what it does.  try --explain (fields, items, links and
# every reason a link is dropped), try --css/--xpath, crawl -vv's per-URL decisions,
# the coverage warnings at the end of a crawl, and every broken input of those paths.
. "$top_srcdir/tests/lib.sh"

plan 60

# A site: one page with every kind of link, robots.txt disallowing /private/.
mkdir -p "$T/site/p" "$T/cfg"
cat >"$T/site/robots.txt" <<'EOF'
User-agent: *
Disallow: /private/
EOF
cat >"$T/site/index.html" <<'EOF'
<!DOCTYPE html><html><head><title>Shop</title></head><body>
<h1 class="name">  Teapot  </h1>
<p class="price">Price: call us</p>
<p class="price">£12.50</p>
<p class="stock">Out of stock</p>
<ul class="tags"><li>iron</li><li>  </li><li>black</li></ul>
<nav>
  <a href="/p/a.html">a</a>
  <a href="/p/a.html#top">a again</a>
  <a href="/p/b.html?session=1">denied</a>
  <a href="/other/c.html">not allowed</a>
  <a href="mailto:shop@example.com">mail</a>
  <a href="http://elsewhere.example/x">elsewhere</a>
  <a href="/private/secret.html">private</a>
</nav>
</body></html>
EOF
printf '<html><body><h1 class="name">A</h1><a href="/p/b.html">b</a></body></html>\n' >"$T/site/p/a.html"
printf '<html><body><h1 class="name">B</h1><a href="/p/a.html">a</a></body></html>\n' >"$T/site/p/b.html"
printf '{"not": "html"}\n' >"$T/site/data.json"
cat >"$T/cfg/shop.yaml" <<'EOF'
site: "127.0.0.1"
delay: 0
concurrency: 2
follow:
  - css: "nav a::attr(href)"
    allow: '^http://127\.0\.0\.1:[0-9]+/(p|private)/|elsewhere'
    deny: 'session='
  - "css: a.never-there::attr(href)"
  - "css: body > a::attr(href)"
items:
  product:
    match: '/index\.html$'
    fields:
      name: { css: "h1.name::text", required: true }
      price: { css: "p.price::text", re: '[0-9]+\.[0-9]+', type: number }
      stock: { css: "p.stock::text", re: '\((\d+) available\)', type: int, default: 0 }
      tags: { css: "ul.tags li", all: true }
      isbn: "css: span.isbn::text"
  page:
    match: '/p/'
    fields:
      name: { css: "h1.name::text" }
      missing: { css: "h2::text", required: true }
  never:
    match: '/nowhere/'
    fields:
      x: "css: h1"
EOF
cp "$T/cfg/shop.yaml" "$T/cfg/old.yml"
printf '# rules kept under another name\nsite: "example.com"\n' >"$T/cfg/example.rules"
printf 'Notes about the rules.\nsite: is the first key.\n' >"$T/cfg/NOTES"

start_server PORT --root "$T/site" --log "$T/access.log"
BASE="http://127.0.0.1:$PORT"

# ---- try --explain ----
run "$SCRAPER" try -c "$T/cfg" --explain "$BASE/index.html"
is "$status" 0 "try --explain exits 0"
printf '%s\n' "$out" >"$T/explain.json"
if command -v python3 >/dev/null 2>&1; then
	check "its output is one JSON object" python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/explain.json"
else
	ok "its output is one JSON object # SKIP no python3"
fi
like "$out" '"explain": \{' "the JSON has an explain object"
like "$out" '"robots": "http://127.0.0.1:[0-9]+/robots.txt answered HTTP 200"' "explain says robots.txt was consulted"
like "$out" '\{"item": "product", "idx": 0, "field": "name", "selector": "css: h1.name::text", "matched": 1, "values": \["Teapot"\]\}' \
     "a field: its selector, the nodes it matched, the value that survived"
like "$out" '"field": "price", "selector": "css: p.price::text", "matched": 2, "values": \[12.5\], "dropped": \[\{"text": ?"Price: call us", ?"why": ?"re found no match"\}\]' \
     "a value dropped by re is listed with the reason, and the next node's value survives"
like "$out" '"field": "stock", .*"matched": 1, "values": \[\], "dropped": \[\{"text": ?"Out of stock", ?"why": ?"re found no match"\}\], "default": true' \
     "a field that fell back to its default says so"
like "$out" '"field": "tags", .*"matched": 3, "values": \["iron","black"\], "dropped": \[\{"text": ?"", ?"why": ?"no text' \
     "all: true keeps every value; an empty node is dropped with its reason"
like "$out" '"field": "isbn", "selector": "css: span.isbn::text", "matched": 0, "values": \[\]' \
     "a selector that matches nothing says matched 0"
like "$out" '\{"type": "product", "idx": 0, "matched": true, "stored": true, "why": ""\}' "items: the product was stored"
like "$out" '\{"type": "page", "idx": 0, "matched": false, "stored": false, "why": "the URL does not match '"'"'/p/'"'"'"\}' \
     "items: a type whose match refused the URL names the regex"
like "$out" '\{"url": "http://127.0.0.1:[0-9]+/p/a.html", "rule": "css: nav a::attr\(href\)", "followed": true, "why": ""\}' \
     "links: a followed link and its rule"
like "$out" '"url": "http://127.0.0.1:[0-9]+/p/a.html", "rule": "[^"]*", "followed": false, "why": "duplicate \(already found on this page\)"' \
     "links: the same URL twice on a page is a duplicate"
like "$out" '"url": "http://127.0.0.1:[0-9]+/p/b.html\?session=1", "rule": "[^"]*", "followed": false, "why": "denied by deny '"'"'session='"'"'"' \
     "links: denied, naming the deny regex"
like "$out" '"url": "http://127.0.0.1:[0-9]+/other/c.html", "rule": "[^"]*", "followed": false, "why": "not allowed: allow ' \
     "links: not allowed, naming the allow regex"
like "$out" '"url": "mailto:shop@example.com", "rule": "[^"]*", "followed": false, "why": "not an http\(s\) URL"' \
     "links: not http(s)"
like "$out" '"url": "http://elsewhere.example/x", "rule": "[^"]*", "followed": false, "why": "off site \(scope: site\)"' \
     "links: off site"
like "$out" '"url": "http://127.0.0.1:[0-9]+/private/secret.html", "rule": "[^"]*", "followed": false, "why": "robots.txt disallows it' \
     "links: robots.txt"
links=$(printf '%s\n' "$out" | sed -n '/^  "links": \[/,/^  \]/p' | grep -c '"http')
followed=$(printf '%s\n' "$out" | grep -c '"followed": true')
is "$links" "$followed" "the links list is exactly the links explain says were followed"
is "$(grep -c '/robots.txt' "$T/access.log")" 1 "try fetched robots.txt once"

# depth: try's page is a seed; max_depth 0 follows nothing from it.
mkdir -p "$T/cfg0"
sed 's/^delay: 0$/delay: 0\nmax_depth: 0/' "$T/cfg/shop.yaml" >"$T/cfg0/shop.yaml"
run "$SCRAPER" try -c "$T/cfg0" --explain "$BASE/index.html"
like "$out" '"url": "http://127.0.0.1:[0-9]+/p/a.html", "rule": "[^"]*", "followed": false, "why": "depth: ' \
     "links: depth (max_depth 0 follows nothing from a seed)"
like "$out" '"links": \[\],' "and the links list is empty"

# Without --explain the output has no explain object (and is what it was).
run "$SCRAPER" try -c "$T/cfg" "$BASE/index.html"
is "$status" 0 "plain try exits 0"
if printf '%s' "$out" | grep -q '"explain"'; then not_ok "plain try has no explain object"; else ok "plain try has no explain object"; fi

# A saved file: robots.txt is not consulted, and explain says so.
run "$SCRAPER" try -c "$T/cfg" --explain "$T/site/index.html" --url "$BASE/index.html"
like "$out" '"robots": "not consulted: the page was read from a file"' "a file: robots.txt not consulted, and said so"

# --explain on a page that is not HTML: nothing to explain, exit 1.
run "$SCRAPER" try -c "$T/cfg" --explain "$BASE/data.json"
is "$status" 1 "try --explain on a non-HTML page exits 1"
like "$err" "data.json is application/json, not HTML: a crawl stores its page record and extracts nothing" \
     "and says why there is nothing to explain"
is "$out" "" "and prints no JSON"

# ---- try --css / --xpath ----
run "$SCRAPER" try "$BASE/index.html" --css "ul.tags li::text"
is "$status" 0 "try --css exits 0"
like "$out" '"selector": "css: ul.tags li::text",' "it names the selector"
like "$out" '"count": 2,' "it counts the values"
like "$out" '"values": \["iron","black"\]' "it prints every value"
run "$SCRAPER" try "$T/site/index.html" --xpath "//nav/a/@href"
like "$out" '"count": 7,' "try --xpath on a file, attribute values counted"
run "$SCRAPER" try "$T/site/index.html" --xpath "count(//nav/a)"
like "$out" '"values": \["7"\]' "an XPath that is a number gives its value"
run "$SCRAPER" try "$T/site/index.html" --css "ul.tags li["
is "$status" 2 "a bad CSS selector exits 2"
like "$err" "invalid CSS selector: .*" "and says what is wrong"
like "$err" "\^ column 12" "and points at the column"
run "$SCRAPER" try "$T/site/index.html" --xpath "//a[@href"
is "$status" 2 "a bad XPath exits 2"
like "$err" "invalid XPath" "and says so"
run "$SCRAPER" try "$T/site/index.html" --css "a" --xpath "//a"
is "$status" 2 "--css and --xpath together exit 2"
run "$SCRAPER" try "$T/site/index.html" --css "a" --explain
is "$status" 2 "--css with --explain exits 2"
like "$err" "with --css or --xpath there are none" "and says why"
run "$SCRAPER" try "$T/site/index.html" --css ""
is "$status" 2 "an empty selector exits 2"

# ---- crawl -vv: the same decisions, per URL, from the worker ----
echo "$BASE/index.html" >"$T/urls"
echo "http://localhost:$PORT/p/a.html" >>"$T/urls"
run "$SCRAPER" crawl -vv -c "$T/cfg" -d "$T/db" "$T/urls"
is "$status" 0 "crawl -vv exits 0"
like "$err" "\[worker 127.0.0.1:$PORT\]: $BASE/index.html: link $BASE/p/a.html: followed" "-vv: a followed link"
like "$err" "index.html: link $BASE/p/b.html\?session=1: not followed: denied by deny 'session=' \(css: nav a::attr\(href\)\)" \
     "-vv: a denied link, with the regex and the rule"
like "$err" "index.html: link http://elsewhere.example/x: not followed: off site \(scope: site\)" "-vv: an off-site link"
like "$err" "$BASE/p/b.html: link $BASE/p/a.html: not followed: duplicate \(already followed from another page\)" \
     "-vv: a link already followed from another page"
like "$err" "index.html: item product #0: stored" "-vv: an item stored"
like "$err" "$BASE/p/a.html: item page #0: not stored: required field 'missing' has no value" "-vv: an item not stored, and why"

# ---- the coverage warnings at the end ----
like "$err" "warning: .*shop.yaml: follow rule 2 \(css: a.never-there::attr\(href\)\) never gave a link" \
     "coverage: a follow rule that never gave a link"
like "$err" "warning: .*shop.yaml: field 'isbn' of item 'product' never had a value" "coverage: a field that never had a value"
like "$err" "warning: .*shop.yaml: item 'never' never matched a page \(match: '/nowhere/'" "coverage: an item type that never matched"
like "$err" "warning: .*shop.yaml: item 'page' matched 2 pages but no item was stored" "coverage: an item type that stored nothing"
like "$err" "warning: localhost:$PORT: no rule file matched this seed site, so it ran on the built-in defaults" \
     "coverage: a seed site on the built-in defaults"
like "$err" "warning: .*/old.yml was ignored: only files named \*.yaml are rule files" "coverage: a .yml file ignored"
like "$err" "warning: .*/example.rules was ignored" "coverage: a rule file by another name ignored"
if printf '%s' "$err" | grep -q "NOTES was ignored"; then not_ok "a file that only mentions site: is not taken for rules"; else ok "a file that only mentions site: is not taken for rules"; fi
if printf '%s' "$err" | grep -q "field 'name' of item 'product' never"; then not_ok "no warning for a field that had values"; else ok "no warning for a field that had values"; fi

# -q: no summary, so no warnings.
run "$SCRAPER" crawl -q -c "$T/cfg" -d "$T/db2" "$T/urls"
is "$err" "" "crawl -q prints no coverage warnings"

done_testing
