# testserver.sh: the loopback test web server itself, checked with the curl tool:
# static files, every routes-file behaviour, the generated site, the request log
# (keep-alive reuse, concurrency), start-up errors and a clean exit on SIGTERM.
. "$top_srcdir/tests/lib.sh"

command -v curl >/dev/null 2>&1 || { echo "1..0 # SKIP curl not installed"; exit 0; }

plan 84

# curl without ~/.curlrc or proxies, never waiting long.
web() {
	curl -q --noproxy '*' -sS --max-time 20 "$@"
}

# fetch PATH [curl options...]: GET http://127.0.0.1:$S/PATH; sets $code (000 when no
# answer), $status (curl's exit code); the body is in $T/body, the headers in $T/hdr.
fetch() {
	_p=$1
	shift
	: >"$T/hdr"
	rm -f "$T/body"	# curl makes no file for an empty body
	web -o "$T/body" -D "$T/hdr" -w '%{http_code}' "$@" "http://127.0.0.1:$S$_p" \
		>"$T/code" 2>"$T/curlerr"
	status=$?
	[ -f "$T/body" ] || : >"$T/body"
	code=$(cat "$T/code")
	body=$(cat "$T/body")
}

# header NAME: that header's value in the last fetch ("" when absent).
header() {
	grep -i "^$1:" "$T/hdr" | head -n 1 | sed 's/^[^:]*:[ 	]*//' | tr -d '\r'
}

# bytes FILE: its size in bytes.
bytes() {
	wc -c <"$1" | tr -d ' '
}

mkdir -p "$T/root/sub"
printf '<html><head><title>Home</title></head><body>home</body></html>\n' >"$T/root/index.html"
printf 'plain text\n' >"$T/root/a.txt"
printf '{"k": 1}\n' >"$T/root/data.json"
printf 'sub index\n' >"$T/root/sub/index.html"

cat >"$T/routes" <<'EOF'
# The routes every test below uses.
/teapot      status=418 header="X-Test: yes" type=text/plain body="I am\na teapot"
/old         status=301 location=/new
/seq         seq=503,200 retry-after=2
/etag        etag=v1 last-modified="Wed, 21 Oct 2015 07:28:00 GMT" body=cached
/gz          gzip body="hello gzip hello gzip hello gzip"
/size        size=100000
/huge        size=1073741824
/bomb        gzip-bomb=1000000
/reset       reset
/stall       stall
/garbage     garbage
/drip        drip=10 body=hello
/bad-chunked bad-chunked
/endless     endless
/reset-after reset-after=1000
/login       set-cookie="session=abc; Path=/" body=welcome
/members     require-cookie=session=abc body=secret
/notype      type=none body=raw
/q?a=1       body=query-one
/api/*       type=application/json body="{\"ok\": true}"
/slow        delay=300 body=slow
/many        delay=1000 body=many
/a.txt?route header="X-Routed: 1"
EOF

start_server S --root "$T/root" --routes "$T/routes" --log "$T/log" \
	--gen 10 --gen-bytes 4000 --gen-link http://other.test/page

# --- static files -----------------------------------------------------------

fetch /a.txt
is "$code $body" "200 plain text" "a file from --root"
is "$(header Content-Type)" "text/plain" "Content-Type from the extension"
fetch /
like "$code $(header Content-Type) $body" "^200 text/html .*<title>Home" "/ serves index.html"
fetch /sub/
is "$code $body" "200 sub index" "a folder path ending in / serves its index.html"
fetch /sub
is "$code $(header Location)" "301 /sub/" "a folder without its slash redirects"
fetch "/data.json?x=1&y=2"
is "$code $(header Content-Type)" "200 application/json" "the query string is ignored for files"
fetch /a%2etxt
is "$code $body" "200 plain text" "the path is percent-decoded"
fetch /missing.html
is "$code" 404 "a missing file is 404"
fetch /../../etc/passwd --path-as-is
is "$code" 403 "'..' cannot escape the root"
fetch /a.txt -X POST -d x=1
is "$code $(header Allow)" "405 GET, HEAD" "POST is 405 with Allow"
fetch /a.txt -I
is "$code $(header Content-Length)" "200 11" "HEAD: the headers, with the length"
web -I "http://127.0.0.1:$S/a.txt" --next "http://127.0.0.1:$S/a.txt" >"$T/out" 2>&1
is "$(tail -n 1 "$T/out")" "plain text" "HEAD: no body (the next request on the connection is intact)"

# --- routes -----------------------------------------------------------------

fetch /teapot
is "$code" 418 "route status"
is "$(header X-Test)" "yes" "route header="
is "$(header Content-Type)" "text/plain" "route type="
is "$body" "I am
a teapot" "route body= with an escaped newline"
fetch /old
is "$code $(header Location)" "301 /new" "redirect with location="
like "$body" "301 Moved Permanently" "the default body names the status"

fetch /seq
is "$code $(header Retry-After)" "503 2" "seq: the first request gets 503 with Retry-After"
fetch /seq
is "$code" 200 "seq: the second request gets 200"
is "$(header Retry-After)" "" "seq: no Retry-After on the 2xx"
fetch /seq
is "$code" 200 "seq: the last status repeats"

fetch /etag
is "$code $(header ETag) $body" '200 "v1" cached' "etag= is sent, quoted"
is "$(header Last-Modified)" "Wed, 21 Oct 2015 07:28:00 GMT" "last-modified= is sent"
fetch /etag -H 'If-None-Match: "v1"'
is "$code $(bytes "$T/body")" "304 0" "If-None-Match with the etag: 304, no body"
fetch /etag -H 'If-None-Match: "v0"'
is "$code" 200 "If-None-Match with another etag: 200"
fetch /etag -H 'If-Modified-Since: Wed, 21 Oct 2015 07:28:00 GMT'
is "$code" 304 "If-Modified-Since with the last-modified: 304"

fetch /gz --compressed
is "$(header Content-Encoding)" "gzip" "gzip when the client accepts it"
is "$body" "hello gzip hello gzip hello gzip" "the gzip body decodes"
fetch /gz
is "$(header Content-Encoding)" "" "plain when the client does not ask for gzip"
is "$body" "hello gzip hello gzip hello gzip" "the plain body"
fetch /gz -H 'Accept-Encoding: gzip;q=0, deflate'
is "$(header Content-Encoding)" "" "gzip;q=0 is refused"

fetch /size
is "$code $(header Content-Length) $(bytes "$T/body")" "200 100000 100000" "size=N: Content-Length and bytes"
like "$(head -c 40 "$T/body")" "^<html><body>" "size=N: an HTML-ish body"
fetch /huge -I
is "$code $(header Content-Length)" "200 1073741824" "size=1GiB is declared without being built"

n=$(web --compressed "http://127.0.0.1:$S/bomb" | wc -c | tr -d ' ')
is "$n" 1000000 "gzip-bomb decodes to N bytes"
fetch /bomb
is "$(header Content-Encoding)" "gzip" "gzip-bomb is sent gzip even unasked"
check "gzip-bomb is small on the wire ($(bytes "$T/body") bytes)" test "$(bytes "$T/body")" -lt 20000

fetch /reset
like "$status" "^(52|56)$" "reset: curl sees the connection reset"
fetch /stall --max-time 1
is "$status" 28 "stall: curl times out"
fetch /garbage
check "garbage: curl rejects the answer (exit $status)" test "$status" -ne 0
fetch /drip
is "$status $body" "0 hello" "drip delivers the whole body"
fetch /bad-chunked
check "bad-chunked: curl rejects the chunking (exit $status)" test "$status" -ne 0
n=$(web "http://127.0.0.1:$S/endless" 2>/dev/null | head -c 2000000 | wc -c | tr -d ' ')
is "$n" 2000000 "endless: the body goes on as long as it is read"
fetch /reset-after
check "reset-after: curl fails (exit $status)" test "$status" -ne 0
check "reset-after: at most N bytes arrive ($(bytes "$T/body"))" test "$(bytes "$T/body")" -le 1000

fetch /login
is "$(header Set-Cookie)" "session=abc; Path=/" "set-cookie="
fetch /members
is "$code" 403 "require-cookie: 403 without the cookie"
fetch /members -b 'theme=dark; session=abc'
is "$code $body" "200 secret" "require-cookie: 200 with it"
fetch /notype
is "$code $(grep -ci '^Content-Type:' "$T/hdr")" "200 0" "type=none sends no Content-Type"
fetch "/q?a=1"
is "$code $body" "200 query-one" "a route matches the query string exactly"
fetch "/q?a=2"
is "$code" 404 "another query string does not match"
fetch "/api/items/7?full=1"
is "$code $body" '200 {"ok": true}' "a route ending in * matches a prefix"
fetch "/a.txt?route"
is "$code $(header X-Routed) $body" "200 1 plain text" "a 200 route without a body serves the root file"

# --- protocol ---------------------------------------------------------------

fetch /a.txt -0
is "$code $(header Connection)" "200 close" "HTTP/1.0 gets Connection: close"
big=$(head -c 20000 /dev/zero | tr '\0' a)
fetch /a.txt -H "X-Big: $big"
is "$code" 431 "a request head over 16 KiB is 431"
fetch /a.txt -X 'NOT A METHOD'
is "$code" 400 "a request line that cannot be parsed is 400"

# --- the generated site -----------------------------------------------------

fetch /gen/5.html
is "$code $(header Content-Type)" "200 text/html; charset=utf-8" "a generated page"
like "$body" "<title>Gen page 5</title>" "generated title"
like "$body" '<h1 class="name">Item 5</h1>' "generated name"
like "$body" '<span class="price">£5.99</span>' "generated price with a UTF-8 pound sign"
like "$body" 'rel="next" href="/gen/6.html"' "next link"
like "$body" 'href="/gen/8.html"' "the (i*7+3)%N link"
like "$body" 'href="/gen/0.html"' "the first-page link"
like "$body" 'href="/gen/5.html#top"' "the same-page link with a fragment"
like "$body" 'href="./7.html"' "the relative link"
like "$body" 'href="http://other.test/page"' "the --gen-link"
n=$(bytes "$T/body")
check "--gen-bytes pads the page to about 4000 bytes ($n)" test "$n" -ge 4000 -a "$n" -lt 4200
fetch /gen/10.html
is "$code" 404 "a page past N is 404"
fetch /gen/
like "$code $(tr '\n' ' ' <"$T/body")" '^200 .*href="/gen/0.html"' "/gen/ links to the first page"

# --- the request log --------------------------------------------------------

start_server L --routes "$T/routes" --log "$T/log2"
web -o /dev/null -o /dev/null -A 'tester/1.0' -H 'Accept-Encoding: gzip' -b 'a=1' \
	-H 'If-None-Match: "x"' -H 'If-Modified-Since: yesterday' \
	"http://127.0.0.1:$L/teapot" "http://127.0.0.1:$L/nothing"
is "$(wc -l <"$T/log2" | tr -d ' ')" 2 "one log line per request"
is "$(awk -F '\t' '{ print NF }' "$T/log2" | sort -u)" 11 "eleven tab-separated columns"
is "$(cut -f 4-11 "$T/log2" | head -n 1)" \
	"$(printf 'GET\t/teapot\t418\ttester/1.0\tgzip\ta=1\t"x"\tyesterday')" \
	"method, target, status and the logged headers"
is "$(cut -f 6 "$T/log2" | tail -n 1)" 404 "the second request's status"
is "$(cut -f 2 "$T/log2" | sort -u | wc -l | tr -d ' ')" 1 "keep-alive: both requests on one connection"
like "$(cut -f 1 "$T/log2" | head -n 1)" '^[0-9]{16}$' "time in microseconds since the epoch"

: >"$T/log2"
web -o /dev/null "http://127.0.0.1:$L/slow" & p1=$!
web -o /dev/null "http://127.0.0.1:$L/slow" & p2=$!
wait $p1
s1=$?
wait $p2
s2=$?
is "$s1 $s2 $(cut -f 3 "$T/log2" | sort -n | tail -n 1)" "0 0 2" "two requests at once show active=2"
is "$(cut -f 2 "$T/log2" | sort -u | wc -l | tr -d ' ')" 2 "two clients, two connection ids"

: >"$T/log2"
set --
i=0
while [ $i -lt 200 ]; do
	set -- "$@" -o /dev/null "http://127.0.0.1:$L/many"
	i=$((i + 1))
done
n=$(web --parallel --parallel-max 200 -w '%{http_code}\n' "$@" 2>/dev/null | grep -c '^200$')
a=$(cut -f 3 "$T/log2" | sort -n | tail -n 1)
check "200 concurrent connections all answered ($n), up to $a at once" \
	test "$n" -eq 200 -a "$a" -ge 50

# --- start and stop ---------------------------------------------------------

web -o /dev/null "http://127.0.0.1:$L/stall" 2>/dev/null & p1=$!
i=0
while ! grep -q '/stall' "$T/log2" && [ $i -lt 200 ]; do
	sleep 0.05	# polls (at most 10 s) for the request to arrive
	i=$((i + 1))
done
kill -TERM "$L_PID"
wait "$L_PID"
is "$?" 0 "SIGTERM ends the server with exit 0, even with a connection stalled"
wait $p1
check "the stalled client sees the connection close" test $? -ne 0

if grep -q '^0\{31\}1 ' /proc/net/if_inet6 2>/dev/null; then
	start_server V6 --bind ::1 --root "$T/root"
	is "$(web -g -o /dev/null -w '%{http_code}' "http://[::1]:$V6/a.txt")" 200 "--bind ::1"
else
	ok "--bind ::1 # SKIP no IPv6 loopback"
fi

printf '/ok status=200\n/bad status=2000\n/worse nosuchkey\n' >"$T/bad-routes"
RUN_TIMEOUT=10 run "$TESTSERVER" --routes "$T/bad-routes"
like "$status $(printf '%s' "$err" | tr '\n' ' ')" \
	"^1 .*bad-routes:2: .*bad-routes:3: unknown key 'nosuchkey'" \
	"a bad routes file: exit 1, every error as FILE:LINE"
RUN_TIMEOUT=10 run "$TESTSERVER" --root "$T/no-such-folder"
is "$status" 1 "a missing --root: exit 1"

done_testing
