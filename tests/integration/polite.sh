# polite.sh: politeness and sessions, measured from the server's side: the delay between
# request starts, the concurrency limit, kept-alive connections, the user agent on every
# request, retries with backoff honouring Retry-After (waiting in the frontier, not in
# the worker), a 429 slowing the whole site, cookies, compression, redirects.
. "$top_srcdir/tests/lib.sh"

plan 17

rules() { # DIR LINES...: a rule file following every link, one item per page
	_d=$1
	shift
	mkdir -p "$_d"
	{
		echo 'site: "127.0.0.1"'
		echo 'user_agent: "PoliteTest/2.0 (+http://127.0.0.1/about)"'
		echo 'timeout: 10'
		printf '%s\n' "$@"
		echo 'follow:'
		echo '  - "css: a::attr(href)"'
		echo 'items:'
		echo '  page:'
		echo '    fields:'
		echo '      title: "css: title::text"'
		echo '      name: "css: h1.name::text"'
	} >"$_d/r.yaml"
}
# Gaps in ms between consecutive request starts in a log (optionally only paths
# matching a regex).
gaps() {
	awk -F'\t' -v re="${2:-.}" '$5 ~ re { if (n++) printf "%d\n", ($1 - prev) / 1000; prev = $1 }' "$1"
}
min_of() { sort -n | head -1; }
max_active() { cut -f3 "$1" | sort -n | tail -1; }

# delay: request starts at least `delay` apart (robots.txt included).
start_server S --gen 6 --log "$T/delay.log"
echo "http://127.0.0.1:$S/gen/0.html" >"$T/urls"
rules "$T/r-delay" "concurrency: 4" "delay: 0.3"
run "$SCRAPER" crawl -q -c "$T/r-delay" -d "$T/delay.db" "$T/urls"
is "$status:$(count_paths "$T/delay.log" /gen/)" "0:6" "delay: the six pages are crawled"
least=$(gaps "$T/delay.log" | min_of)
if [ "$least" -ge 290 ]; then ok "delay 0.3: starts at least 300 ms apart (least $least ms)"; else not_ok "delay 0.3: starts at least 300 ms apart (least $least ms)"; fi
is "$(cut -f7 "$T/delay.log" | sort -u)" "PoliteTest/2.0 (+http://127.0.0.1/about)" \
   "the rule file's user agent on every request, robots.txt included"
like "$(cut -f8 "$T/delay.log" | sort -u | head -1)" "gzip" "every encoding curl decodes is accepted (gzip among them)"

# concurrency: never more than `concurrency` requests at once, and that many reached.
printf '/gen/* delay=200\n' >"$T/slow.routes"
start_server C --gen 12 --routes "$T/slow.routes" --log "$T/conc.log"
echo "http://127.0.0.1:$C/gen/0.html" >"$T/urls-c"
rules "$T/r-conc" "concurrency: 3" "delay: 0"
run "$SCRAPER" crawl -q -c "$T/r-conc" -d "$T/conc.db" "$T/urls-c"
is "$status:$(count_paths "$T/conc.log" /gen/)" "0:12" "concurrency: the twelve pages are crawled"
is "$(max_active "$T/conc.log")" 3 "concurrency 3: at most three requests in flight, and three reached"
conns=$(cut -f2 "$T/conc.log" | sort -u | wc -l)
if [ "$conns" -le 4 ]; then ok "keep-alive: 13 requests over $conns connections"; else not_ok "keep-alive: 13 requests over $conns connections"; fi

# Retries: 503 twice with Retry-After: 1, then 200; meanwhile the other pages go on.
cat >"$T/flaky.routes" <<'ROUTES'
/flaky seq=503,503,200 retry-after=1 body="<html><title>Flaky</title><body>ok</body></html>"
/index.html body="<html><body><a href=/flaky>f</a><a href=/gen/1.html>1</a><a href=/gen/2.html>2</a><a href=/gen/3.html>3</a></body></html>"
ROUTES
start_server F --gen 4 --routes "$T/flaky.routes" --log "$T/flaky.log"
echo "http://127.0.0.1:$F/index.html" >"$T/urls-f"
rules "$T/r-flaky" "concurrency: 1" "delay: 0" "retries: 3"
run "$SCRAPER" crawl -c "$T/r-flaky" -d "$T/flaky.db" "$T/urls-f"
is "$(sql "$T/flaky.db" "SELECT status || ' ' || coalesce(error, '') FROM pages WHERE url LIKE '%/flaky'")" "200 " \
   "503, 503, then 200: the page is stored once, as 200"
is "$(count_paths "$T/flaky.log" /flaky)" 3 "three requests for it"
least=$(gaps "$T/flaky.log" /flaky | min_of)
if [ "$least" -ge 990 ]; then ok "Retry-After: 1 honoured (retries $least ms or more apart)"; else not_ok "Retry-After: 1 honoured (least gap $least ms)"; fi
between=$(awk -F'\t' '$5 == "/flaky" { n++ } n == 1 && $5 ~ /^\/gen\// { k++ } END { print k + 0 }' "$T/flaky.log")
if [ "$between" -ge 1 ]; then ok "other pages are fetched while the retry waits ($between)"; else not_ok "other pages are fetched while the retry waits"; fi

# 429 slows the whole site: after it, requests are spaced by at least a second.
cat >"$T/429.routes" <<'ROUTES'
/limited seq=429,200 retry-after=1 body="<html><title>Limited</title></html>"
/index.html body="<html><body><a href=/limited>l</a><a href=/gen/1.html>1</a><a href=/gen/2.html>2</a><a href=/gen/3.html>3</a></body></html>"
ROUTES
start_server L --gen 4 --routes "$T/429.routes" --log "$T/429.log"
echo "http://127.0.0.1:$L/index.html" >"$T/urls-l"
rules "$T/r-429" "concurrency: 1" "delay: 0" "retries: 2"
run "$SCRAPER" crawl -c "$T/r-429" -d "$T/429.db" "$T/urls-l"
is "$status:$(sql "$T/429.db" "SELECT status FROM pages WHERE url LIKE '%/limited'")" "0:200" "429 then 200: stored as 200"
least=$(awk -F'\t' 'seen { if (n++) printf "%d\n", ($1 - prev) / 1000; prev = $1 } $5 == "/limited" && !seen { seen = 1; prev = $1; n = 1 }' "$T/429.log" | min_of)
if [ "${least:-0}" -ge 950 ]; then ok "after a 429 the whole site slows to a request a second (least gap $least ms)"; else not_ok "after a 429 the whole site slows (least gap ${least:-none} ms)"; fi

# Cookies set by one page are sent to the next (one jar per site).
cat >"$T/cookie.routes" <<'ROUTES'
/login set-cookie="sid=abc123; Path=/" body="<html><body><a href=/private>p</a></body></html>"
/private require-cookie=sid=abc123 body="<html><title>Private</title></html>"
ROUTES
start_server K --routes "$T/cookie.routes" --log "$T/cookie.log"
echo "http://127.0.0.1:$K/login" >"$T/urls-k"
rules "$T/r-cookie" "delay: 0"
run "$SCRAPER" crawl -q -c "$T/r-cookie" -d "$T/cookie.db" "$T/urls-k"
is "$(sql "$T/cookie.db" "SELECT status FROM pages WHERE url LIKE '%/private'")" 200 "the session cookie is kept and sent"

# gzip-encoded pages are decoded before parsing.
printf '/zipped gzip body="<html><head><title>Zipped page</title></head><body>z</body></html>"\n' >"$T/gz.routes"
start_server G --routes "$T/gz.routes" --log "$T/gz.log"
echo "http://127.0.0.1:$G/zipped" >"$T/urls-g"
run "$SCRAPER" crawl -q -c "$T/r-cookie" -d "$T/gz.db" "$T/urls-g"
is "$(sql "$T/gz.db" "SELECT title FROM page")" "Zipped page" "a gzip-encoded page is decoded and parsed"

# A redirect to another site is handed back: crawled under scope any, refused (and
# said so) under scope site.
printf '/target.html body="<html><title>Target</title></html>"\n' >"$T/b.routes"
start_server RB --routes "$T/b.routes" --log "$T/rb.log"
printf '/go status=301 location=http://127.0.0.1:%s/target.html\n' "$RB" >"$T/a.routes"
start_server RA --routes "$T/a.routes" --log "$T/ra.log"
echo "http://127.0.0.1:$RA/go" >"$T/urls-r"
rules "$T/r-site" "delay: 0"
run "$SCRAPER" crawl -q -c "$T/r-site" -d "$T/rs.db" "$T/urls-r"
like "$(sql "$T/rs.db" "SELECT status || ' ' || error FROM pages")" \
     "^301 redirected to another site, not followed \(scope: site\)" "scope site: a redirect off the site is recorded, not followed"
rules "$T/r-any" "delay: 0" "scope: any"
run "$SCRAPER" crawl -q -c "$T/r-any" -d "$T/ra.db" "$T/urls-r"
is "$(sql "$T/ra.db" "SELECT status || ' ' || coalesce(title, '') FROM pages LEFT JOIN page USING (url) ORDER BY status")" \
   "200 Target
301 " "scope any: the other site's page is crawled as a new URL"

done_testing
