# fetch.sh: more of fetching like a good citizen: Crawl-delay raises the delay (and a
# huge one is clamped, saying so), robots.txt is cached in the database and not fetched
# again by a later run, Retry-After given as an HTTP date, and proxies from the rule
# file and from the environment.
. "$top_srcdir/tests/lib.sh"

plan 9

rules() { # DIR LINES...
	_d=$1
	shift
	mkdir -p "$_d"
	printf '%s\n' 'site: "127.0.0.1"' 'delay: 0' 'retries: 2' "$@" \
		'follow:' '  - "css: a::attr(href)"' >"$_d/r.yaml"
}
gaps() { # LOG REGEX: ms between consecutive request starts of matching paths
	awk -F'\t' -v re="$2" '$5 ~ re { if (n++) printf "%d\n", ($1 - prev) / 1000; prev = $1 }' "$1" | sort -n | head -1
}

# Crawl-delay: 0.4 raises the rule file's delay of 0.
mkdir -p "$T/cd"
printf 'User-agent: *\nCrawl-delay: 0.4\n' >"$T/cd/robots.txt"
start_server CD --root "$T/cd" --gen 5 --log "$T/cd.log"
echo "http://127.0.0.1:$CD/gen/0.html" >"$T/urls-cd"
rules "$T/r" "concurrency: 4"
run "$SCRAPER" crawl -q -c "$T/r" -d "$T/cd.db" "$T/urls-cd"
is "$status:$(count_paths "$T/cd.log" /gen/)" "0:5" "Crawl-delay: the five pages are crawled"
least=$(gaps "$T/cd.log" '^/gen/')
if [ "$least" -ge 390 ]; then ok "Crawl-delay 0.4 spaces requests (least gap $least ms)"; else not_ok "Crawl-delay 0.4 spaces requests (least gap $least ms)"; fi

# A Crawl-delay of a day is clamped, and the clamp is logged (one page: no waiting).
mkdir -p "$T/huge"
printf 'User-agent: *\nCrawl-delay: 86400\n' >"$T/huge/robots.txt"
printf 'x' >"$T/huge/only.html"
start_server H --root "$T/huge" --log "$T/huge.log"
echo "http://127.0.0.1:$H/only.html" >"$T/urls-h"
rules "$T/rv" "concurrency: 1"
run "$SCRAPER" crawl -v -c "$T/rv" -d "$T/huge.db" "$T/urls-h"
like "$err" "Crawl-delay 86400 s in robots.txt clamped to 30 s" "a huge Crawl-delay is clamped, and says so"

# robots.txt is kept in the database: a later run within 24 h does not fetch it again.
: >"$T/cd.log"
echo "http://127.0.0.1:$CD/gen/3.html" >"$T/urls-cd2"
run "$SCRAPER" crawl -q --fresh -c "$T/r" -d "$T/cd.db" "$T/urls-cd2"
is "$status:$(count_paths "$T/cd.log" /robots.txt)" "0:0" "a second run uses the stored robots.txt"
is "$(sql "$T/cd.db" "SELECT status || ' ' || body FROM robots")" "200 User-agent: *
Crawl-delay: 0.4" "robots.txt is stored with its status"
least=$(gaps "$T/cd.log" '^/gen/')
if [ "$least" -ge 390 ]; then ok "and its Crawl-delay still applies (least gap $least ms)"; else not_ok "and its Crawl-delay still applies (least gap $least ms)"; fi

# Retry-After as an HTTP date, two seconds ahead.
when=$(date -u -d '+2 seconds' '+%a, %d %b %Y %H:%M:%S GMT')
printf '/later seq=503,200 retry-after="%s" body="<html><title>Later</title></html>"\n' "$when" >"$T/ra.routes"
start_server RA --routes "$T/ra.routes" --log "$T/ra.log"
echo "http://127.0.0.1:$RA/later" >"$T/urls-ra"
run "$SCRAPER" crawl -q -c "$T/r" -d "$T/ra.db" "$T/urls-ra"
least=$(gaps "$T/ra.log" '^/later$')
if [ "$(sql "$T/ra.db" "SELECT status FROM pages")" = 200 ] && [ "$least" -ge 900 ]; then
	ok "Retry-After as an HTTP date is honoured (retried after $least ms)"
else
	not_ok "Retry-After as an HTTP date is honoured (retried after $least ms)"
fi

# Proxies: the rule file's proxy key, and the usual environment variable.
printf '/page body="<html><title>Via proxy</title></html>"\n' >"$T/px.routes"
start_server PX --routes "$T/px.routes" --log "$T/px.log"
mkdir -p "$T/rp"
printf 'site: example.invalid\ndelay: 0\nproxy: "http://127.0.0.1:%s"\n' "$PX" >"$T/rp/r.yaml"
echo "http://example.invalid/page" >"$T/urls-px"
run "$SCRAPER" crawl -q -c "$T/rp" -d "$T/px.db" "$T/urls-px"
is "$(sql "$T/px.db" "SELECT status FROM pages WHERE url = 'http://example.invalid/page'"):$(cut -f5 "$T/px.log" | grep -c '^http://example.invalid/page$')" \
   "200:1" "the rule file's proxy carries the requests"
: >"$T/px.log"
rules "$T/re"
http_proxy="http://127.0.0.1:$PX" run "$SCRAPER" crawl -q -c "$T/re" -d "$T/env.db" "$T/urls-px"
is "$(sql "$T/env.db" "SELECT status FROM pages"):$(cut -f5 "$T/px.log" | grep -c '^http://example.invalid/page$')" \
   "200:1" "so does http_proxy from the environment"

done_testing
