# hostile.sh: a site whose pages misbehave in every way the test server can script.
# The crawl ends in bounded time, every URL is accounted for in pages with a clear
# error, nothing but http(s) is ever requested, and the good pages are unharmed.
. "$top_srcdir/tests/lib.sh"

plan 24

cat >"$T/routes" <<'ROUTES'
/stall stall
/drip drip=400
/reset reset
/reset-mid reset-after=1000
/garbage garbage
/chunked bad-chunked
/endless endless
/bomb gzip-bomb=1000000000
/huge size=1073741824
/loop-a status=302 location=/loop-b
/loop-b status=302 location=/loop-a
/to-file status=302 location=file:///etc/passwd
/to-gopher status=302 location=gopher://127.0.0.1:70/
/to-ftp status=301 location=ftp://127.0.0.1/x
/redirect-ok status=301 location=/good.html
/notfound status=404
/gone status=410
/teapot status=418
/pdf type=application/pdf body="%PDF-1.4 not html"
/no-type type=none body="<html><head><title>No type</title></head><body>x</body></html>"
/good.html body="<html><head><title>Good</title></head><body>fine</body></html>"
ROUTES
start_server S --routes "$T/routes" --log "$T/s.log"
B="http://127.0.0.1:$S"
for p in stall drip reset reset-mid garbage chunked endless bomb huge loop-a to-file \
	to-gopher to-ftp redirect-ok notfound gone teapot pdf no-type good.html; do
	echo "$B/$p"
done >"$T/urls"
mkdir -p "$T/rules"
cat >"$T/rules/hostile.yaml" <<'YAML'
site: "127.0.0.1"
concurrency: 8
delay: 0
retries: 1
timeout: 2
max_bytes: 1048576
items:
  page:
    fields:
      title: "css: title::text"
YAML

start=$(date +%s)
RUN_TIMEOUT=60 run "$SCRAPER" crawl -c "$T/rules" -d "$T/db" "$T/urls"
took=$(( $(date +%s) - start ))
is "$status" 0 "the crawl finishes (exit 0)"
if [ "$took" -le 20 ]; then ok "in bounded time (${took} s)"; else not_ok "in bounded time (${took} s)"; fi
is "$(sql "$T/db" "SELECT count(*) FROM pages")" 20 "every URL has a row in pages"
is "$(sql "$T/db" "SELECT count(*) FROM frontier WHERE state IN ('queued', 'inflight')")" 0 "nothing left queued"

err_of() { sql "$T/db" "SELECT coalesce(status, 'NULL') || ' ' || coalesce(error, '') FROM pages WHERE url = '$B/$1'"; }
like "$(err_of stall)" "^NULL .*[Tt]imeout" "stall: no response, timed out"
like "$(err_of drip)" "^(200|NULL) .*([Tt]imeout|too slow)" "drip: cut off"
like "$(err_of reset)" "^NULL .*(reset|Recv failure|Empty reply|Failure when receiving)" "reset: no response, reset"
like "$(err_of reset-mid)" "(reset|Recv failure|Partial|closed)" "reset mid-body: says so"
like "$(err_of garbage)" "^NULL .+" "garbage status line: no response, an error"
like "$(err_of chunked)" "(chunk|Chunk)" "broken chunked body: says so"
like "$(err_of endless)" "^200 body cut off at max_bytes" "endless body: cut at max_bytes"
like "$(err_of bomb)" "^200 body cut off at max_bytes" "gzip bomb: stopped at max_bytes of decoded body"
like "$(err_of huge)" "^200 body cut off at max_bytes" "1 GiB body: cut at max_bytes"
is "$(sql "$T/db" "SELECT max(bytes) FROM pages")" 1048576 "no body stored beyond max_bytes"
like "$(err_of loop-a)" "^302 redirect loop" "redirect loop: a clear error"
like "$(err_of to-file)" "^302 redirect to a URL that is not http\(s\), not followed: file:///etc/passwd" \
     "redirect to file:// is never followed"
like "$(err_of to-gopher)" "^302 redirect to a URL that is not http\(s\)" "redirect to gopher:// is never followed"
like "$(err_of to-ftp)" "^301 redirect to a URL that is not http\(s\)" "redirect to ftp:// is never followed"
is "$(sql "$T/db" "SELECT status || ' ' || final_url FROM pages WHERE url = '$B/redirect-ok'")" \
   "200 $B/good.html" "a redirect within the site is followed and its end recorded"
is "$(err_of notfound):$(err_of gone):$(err_of teapot)" "404 HTTP 404:410 HTTP 410:418 HTTP 418" \
   "4xx: the status and an error"
is "$(sql "$T/db" "SELECT status || ' ' || content_type FROM pages WHERE url = '$B/pdf'"):$(sql "$T/db" "SELECT count(*) FROM page WHERE url = '$B/pdf'")" \
   "200 application/pdf:0" "non-HTML content: recorded, not parsed"
is "$(sql "$T/db" "SELECT title FROM page WHERE url = '$B/no-type'")" "No type" \
   "no Content-Type: sniffed as HTML and parsed"
is "$(sql "$T/db" "SELECT title FROM page WHERE url IN ('$B/good.html', '$B/redirect-ok') ORDER BY url")" "Good
Good" "the good pages are extracted"
# The loop's two URLs are asked for once each per attempt; nothing else off the list.
is "$(cut -f5 "$T/s.log" | grep -cv -e '^/robots.txt$' -e '^/stall$' -e '^/drip$' -e '^/reset$' -e '^/reset-mid$' \
	-e '^/garbage$' -e '^/chunked$' -e '^/endless$' -e '^/bomb$' -e '^/huge$' -e '^/loop-[ab]$' \
	-e '^/to-' -e '^/redirect-ok$' -e '^/good.html$' -e '^/notfound$' -e '^/gone$' -e '^/teapot$' -e '^/pdf$' -e '^/no-type$')" \
   0 "only the listed paths (and robots.txt) are requested"

done_testing
