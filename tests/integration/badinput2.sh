# badinput2.sh: pages whose content used to be lost without a word, crawled for real.
#
#   - UTF-16 with a lone surrogate: one U+FFFD, the rest of the page read (was: one
#     byte skipped, so every later code unit out of step: garbage to the end);
#   - a page nested 300 deep: what lies below level 256 extracted (was: libxml2 stopped
#     at its depth limit, the rest of the page dropped, nothing recorded);
#   - a page nested 100,000 deep: parsed whole, in bounded time and memory, no crash,
#     and no problem recorded (had anything been cut, the page's problems would say so);
#   - one page linked as /a/%2e%2e/b, /a/%2E%2E/b, /b and /a/../b: fetched and stored
#     once (was: three URLs, three fetches, three copies); a link or a start URL with
#     user:password@ is crawled and stored without them.
. "$top_srcdir/tests/lib.sh"

plan 13

mkdir -p "$T/root" "$T/rules"
# UTF-16LE with its byte-order mark; a lone low surrogate (DC00) inside the title.
{
	printf '\377\376'
	printf '<html><head><title>before' | iconv -f UTF-8 -t UTF-16LE
	printf '\000\334'
	printf 'after the bad unit</title></head><body><p class="deep">rest</p></body></html>' |
		iconv -f UTF-8 -t UTF-16LE
} >"$T/root/u16.html"
# nest N TAG: a page with the paragraphs inside N levels of TAG, one more after them.
nest() {
	awk -v n="$1" -v t="$2" 'BEGIN {
		printf "<html><head><title>deep</title></head><body>"
		for (i = 0; i < n; i++) printf "<%s>", t
		printf "<p class=\"deep\">deep text</p>"
		for (i = 0; i < n; i++) printf "</%s>", t
		printf "<p class=\"after\">after</p></body></html>"
	}'
}
nest 300 div >"$T/root/d300.html"
nest 100000 div >"$T/root/d100k.html"
start_server S --root "$T/root"
for p in u16 d300 d100k; do
	echo "http://127.0.0.1:$S/$p.html"
done >"$T/urls"
cat >"$T/rules/r.yaml" <<'YAML'
site: "127.0.0.1"
delay: 0
retries: 0
items:
  page:
    fields:
      title: "css: title::text"
      deep: "css: p.deep::text"
      after: "css: p.after::text"
YAML

run "$SCRAPER" crawl -q -c "$T/rules" -d "$T/db" "$T/urls"
is "$status" 0 "the crawl exits 0"
field() {
	sql "$T/db" "SELECT json_extract(data, '\$.$2') FROM items WHERE url LIKE '%/$1.html'"
}
is "$(field u16 title)" "before�after the bad unit" "UTF-16: a lone surrogate is one U+FFFD, the text after it intact"
is "$(field u16 deep)" "rest" "UTF-16: the rest of the page is read"
is "$(field d300 deep)" "deep text" "300 deep: the text below level 256 is extracted"
is "$(field d300 after)" "after" "300 deep: the text after the nesting is extracted"
is "$(field d100k deep)|$(field d100k after)" "deep text|after" "100,000 deep: parsed whole"
is "$(sql "$T/db" "SELECT count(*) FROM problems")" 0 "no page records a problem: nothing was cut"
is "$(sql "$T/db" "SELECT group_concat(state) FROM frontier")" "done,done,done" "every page done"

# One page under four spellings, and a link that carries a password.
mkdir -p "$T/site/a"
echo '<html><body><p>b</p></body></html>' >"$T/site/b.html"
echo '<html><body><p>c</p></body></html>' >"$T/site/c.html"
start_server L --root "$T/site" --log "$T/links.log"
cat >"$T/site/index.html" <<HTML
<html><body>
<a href="a/%2e%2e/b.html">1</a> <a href="/a/%2E%2E/b.html">2</a>
<a href="/b.html">3</a> <a href="a/../b.html">4</a>
<a href="http://user:secret@127.0.0.1:$L/c.html">5</a>
</body></html>
HTML
mkdir -p "$T/lrules"
printf 'site: "127.0.0.1"\nrobots: ignore\ndelay: 0\nretries: 0\nfollow:\n  - "css: a::attr(href)"\n' \
	>"$T/lrules/r.yaml"
printf 'http://127.0.0.1:%s/index.html\nhttp://me:secret@127.0.0.1:%s/c.html\n' "$L" "$L" >"$T/lurls"
run "$SCRAPER" crawl -q -c "$T/lrules" -d "$T/l.db" "$T/lurls"
is "$status" 0 "the crawl of the links exits 0"
is "$(count_paths "$T/links.log" /b.html):$(count_paths "$T/links.log" /a/)" 1:0 \
   "a page linked under four spellings of one URL is fetched once, as /b.html"
is "$(sql "$T/l.db" "SELECT count(*) FROM pages WHERE url LIKE '%b.html'")" 1 "and stored once"
is "$(sql "$T/l.db" "SELECT url FROM pages WHERE url LIKE '%c.html'")" "http://127.0.0.1:$L/c.html" \
   "a link and a start URL with user:password@ are crawled without them"
# Everywhere but the stored body of the page that holds the link.
is "$("$SQLITE3" "$T/l.db" .dump | grep -v '^INSERT INTO bodies' | grep -c secret)" 0 \
   "the password is stored nowhere"

done_testing
