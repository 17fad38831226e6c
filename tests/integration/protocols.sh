# protocols.sh: the protocol paths the README promises, end to end with the real binary
# against servers this test starts on loopback.
#
# 1. HTTP/2 over TLS: nginx (listen ... ssl http2, a private CA from tests/nginx.sh)
#    in front of the test server.  A crawl with concurrency 4 uses one connection and
#    several requests on it at once: nginx's log shows HTTP/2.0 and the connection
#    number, the test server behind it how many requests were in flight.  concurrency
#    and delay still hold over that one connection; the pages' records are right.
# 2. br (nginx's brotli module) and zstd (the test server, a precompressed file):
#    advertised in Accept-Encoding beside gzip and deflate, decoded, the items equal to
#    those of the plain page, and a bomb of each (a few KB that expand to 1 GB) cut at
#    max_bytes, with the worker's peak memory bounded and the crawl going on.
# 3. IPv6 loopback: a site named [::1]:PORT, its rule file matched, robots.txt and delay
#    obeyed, pages.url right.
# 4. HTTP/1.0 servers without keep-alive, the body ending where the connection does or
#    at a Content-Length: pages and items complete, bytes right, no error, no wait for a
#    timeout; a body cut short of its Content-Length by an HTTP/1.1 server is an error.
# Each part prints SKIP when a tool it needs is missing (scripts/install-deps --all).
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/nginx.sh"

plan 35

# skip N REASON: N tests skipped.
skip() {
	_i=0
	while [ $_i -lt "$1" ]; do
		_n=$((_n + 1))
		echo "ok $_n # SKIP $2"
		_i=$((_i + 1))
	done
}

# max of numbers, one a line ('' for none)
max() { sort -n | tail -1; }

# min_gap_ms LOG PREFIX: the shortest time between the starts of two successive
# requests for PREFIX in the test server's LOG (its first column is microseconds).  The
# server's clock, not the worker's: a request that had to connect first arrives later,
# and the gap after it looks shorter by that much (the tests allow 10%).
min_gap_ms() {
	awk -F'\t' -v p="$2" 'index($5, p) == 1 { t[n++] = $1 }
		END { m = -1; for (i = 1; i < n; i++) { d = (t[i] - t[i-1]) / 1000; if (m < 0 || d < m) m = d }
		      printf "%d\n", m }' "$1"
}

# items_of DB URL: a page's items, in order, as one line.
items_of() {
	sql "$1" "SELECT group_concat(data, ' | ') FROM (SELECT data FROM items WHERE url = '$2' ORDER BY idx)"
}

# a product page: N products with names and prices (big enough for any compressor)
product_page() {
	echo '<!DOCTYPE html><html><head><title>Products</title></head><body>'
	for _i in 1 2 3 4 5; do
		printf '<div class="product"><h2>Product number %s</h2><span class="price">%s.50</span>' "$_i" "$((_i * 7))"
		printf '<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod.</p></div>\n'
	done
	echo '</body></html>'
}

# product_rules FILE SITE [extra lines]
product_rules() {
	_f=$1 _s=$2
	shift 2
	{
		printf 'site: "%s"\nconcurrency: 1\ndelay: 0\nretries: 0\ntimeout: 10\nmax_bytes: 1048576\n' "$_s"
		for _l in "$@"; do echo "$_l"; done
		printf 'items:\n  product:\n    each: "css: div.product"\n    fields:\n'
		printf '      name: "css: h2::text"\n      price: { css: "span.price::text", type: number }\n'
	} >"$_f"
}

mkdir -p "$T/rules-h2" "$T/rules-slow" "$T/rules-enc" "$T/rules-v6" "$T/rules-old" "$T/up/h2" "$T/up/slow" \
	"$T/br/enc" "$T/zs/enc" "$T/zs/plain" "$T/v6/private" "$T/old"
echo 'User-agent: *' >"$T/up/robots.txt"

# a zstd bomb: 33 KB that expand to 1 GB of zeros
have_zstd=
if command -v zstd >/dev/null 2>&1; then
	have_zstd=1
	head -c 1073741824 /dev/zero | zstd -q -c >"$T/bomb.zst"
fi

# ---- 1. HTTP/2 over TLS --------------------------------------------------------------
if ngx_find; then
	have_nginx=1
else
	have_nginx=
fi
have_brotli=
if [ -n "$have_nginx" ] && ngx_module ngx_http_brotli_filter_module.so >/dev/null &&
   ngx_module ngx_http_brotli_static_module.so >/dev/null && command -v brotli >/dev/null 2>&1; then
	have_brotli=1
	NGX_MODULES="ngx_http_brotli_filter_module.so ngx_http_brotli_static_module.so"
fi

if [ -n "$have_nginx" ]; then
	ca_make
	cert local "DNS:localhost,IP:127.0.0.1" -days 2
	cp "$T/ca/ca.pem" "$T/rules-h2/ca.pem"
	cp "$T/ca/ca.pem" "$T/rules-slow/ca.pem"
	# the site behind nginx: a hub page linking 30 pages, each with one item; 100 ms a
	# page, so requests in flight together overlap for as long (nginx's log shows it); a
	# zstd bomb among them, cut on its stream while the others go on
	{
		echo '<html><head><title>hub</title></head><body>'
		[ -z "$have_zstd" ] || echo '<a href="/h2/bomb.html">bomb</a>'
		for i in $(seq 1 30); do printf '<a href="/h2/p%s.html">%s</a>\n' "$i" "$i"; done
		echo '</body></html>'
	} >"$T/up/h2/index.html"
	for i in $(seq 1 30); do
		printf '<html><head><title>page %s</title></head><body><h1>page %s</h1></body></html>\n' "$i" "$i" >"$T/up/h2/p$i.html"
	done
	for i in $(seq 1 6); do
		printf '<html><head><title>slow %s</title></head><body><a href="/slow/%s.html">next</a></body></html>\n' \
			"$i" "$((i % 6 + 1))" >"$T/up/slow/$i.html"
	done
	printf '/h2/p* delay=100\n' >"$T/up.routes"
	nreq=32
	if [ -n "$have_zstd" ]; then
		cp "$T/bomb.zst" "$T/up/bomb.zst"
		echo '/h2/bomb.html file=bomb.zst type=text/html header="Content-Encoding: zstd"' >>"$T/up.routes"
		nreq=33
	fi
	start_server UP --root "$T/up" --routes "$T/up.routes" --log "$T/up.log"

	H2=$(free_port) BR=$(free_port)
	cat >"$T/servers.conf" <<EOF
	log_format proto '\$server_protocol\t\$connection\t\$connection_requests\t\$request_uri\t\$status\t\$sent_http_content_encoding\t\$http_accept_encoding\t\$msec\t\$request_time';
	server {
		listen 127.0.0.1:$H2 ssl http2;
		ssl_certificate $T/ca/local.pem;
		ssl_certificate_key $T/ca/local.key;
		access_log $T/ngx/logs/h2.log proto;
		location / {
			proxy_pass http://127.0.0.1:$UP;
		}
	}
EOF
	if [ -n "$have_brotli" ]; then
		cat >>"$T/servers.conf" <<EOF
	server {
		listen 127.0.0.1:$BR;
		access_log $T/ngx/logs/br.log proto;
		root $T/br;
		brotli on;
		brotli_types text/html;
		brotli_static on;
	}
EOF
	fi
	ngx_start "$T/servers.conf" "https://localhost:$H2/robots.txt"
	: >"$T/ngx/logs/h2.log" # nginx reopens nothing: truncate, not remove
	: >"$T/up.log"

	site="localhost:$H2"
	{
		printf 'site: "%s"\nca_file: ca.pem\nconcurrency: 4\ndelay: 0\nretries: 0\ntimeout: 10\nmax_bytes: 1048576\n' "$site"
		printf 'follow:\n  - "css: a::attr(href)"\nitems:\n  page:\n    fields:\n      title: "css: h1::text"\n'
	} >"$T/rules-h2/h2.yaml"
	echo "https://$site/h2/index.html" >"$T/urls-h2"
	run "$SCRAPER" crawl -c "$T/rules-h2" -d "$T/h2.db" "$T/urls-h2"
	is "$status:$(sql "$T/h2.db" "SELECT count(*) FROM pages WHERE status = 200 AND error IS NULL")" 0:31 \
	   "h2: the crawl exits 0 with 31 pages fetched"
	is "$(cut -f1 "$T/ngx/logs/h2.log" | sort | uniq -c | sed 's/^ *//')" "$nreq HTTP/2.0" \
	   "h2: every request (robots.txt and $((nreq - 1)) pages) went over HTTP/2"
	# A delay-0 site may be split over a worker per core (README, "How it works"):
	# each worker has its connection, its share of the concurrency multiplexed on it.
	workers=$(sql "$T/h2.db" "SELECT workers FROM site_usage")
	conns=$(cut -f2 "$T/ngx/logs/h2.log" | sort -u | wc -l)
	most=$(cut -f3 "$T/ngx/logs/h2.log" | max)
	check "h2: few connections for many requests ($conns connection(s) for $workers worker(s), up to $most requests on one)" \
	      test "$conns" -le "${workers:-0}" -a "$most" -ge $((nreq / conns - 1))
	# nginx's own clock: each page request (100 ms or more) from its end ($msec) back by
	# $request_time, 2 ms shorter at each end for the rounding to ms; the most that
	# overlapped on any one connection, and on all of them together.  nginx reads a
	# request after the worker sent it and ends it before the worker has it all, so
	# this is at most what the worker had in flight.
	overlap() { # overlap KEY: the most requests at once, per $KEY (2: the connection)
		awk -F'\t' -v k="$1" 'index($4, "/h2/p") == 1 {
			printf "%s %.0f 1\n%s %.0f -1\n", $k, ($8 - $9) * 1000 + 2, $k, $8 * 1000 - 2 }' "$T/ngx/logs/h2.log" |
			sort -k1,1 -k2,2n -k3,3n | awk '$1 != c { c = $1; n = 0 } { n += $3; if (n > m) m = n } END { print m + 0 }'
	}
	at_once=$(overlap 2) in_all=$(overlap 1)
	check "h2: several requests at once on one connection (up to $at_once), never more than concurrency 4 in all ($in_all)" \
	      test "$at_once" -ge 2 -a "$in_all" -le 4
	bytes=$(cat "$T/up/h2/index.html" "$T/up/h2/"p*.html | wc -c | tr -d ' ')
	is "$(sql "$T/h2.db" "SELECT count(*) || ':' || sum(bytes) || ':' || count(DISTINCT site) || ':' || min(site)
	                      || ':' || sum(content_type LIKE 'text/html%') || ':' || sum(url LIKE 'https://$site/h2/%')
	                      || ':' || sum(final_url IS NULL OR final_url = url) FROM pages WHERE error IS NULL")" \
	   "31:$bytes:1:$site:31:31:31" "h2: pages: site, url, content type and bytes right"
	is "$(sql "$T/h2.db" "SELECT count(*) || ':' || count(DISTINCT json_extract(data, '\$.title')) FROM items WHERE type = 'page'")" \
	   "30:30" "h2: one item per page (the hub has none)"
	if [ -n "$have_zstd" ]; then
		is "$(sql "$T/h2.db" "SELECT status || ' ' || error FROM pages WHERE url LIKE '%/bomb.html'")" \
		   "200 body cut off at max_bytes (1048576 bytes)" "h2: a zstd bomb on one stream is cut at max_bytes (the others above unharmed)"
	else
		skip 1 "the zstd tool is not installed"
	fi

	# politeness over one connection: concurrency 2, delay 0.2 s between request starts
	{
		printf 'site: "%s"\nca_file: ca.pem\nconcurrency: 2\ndelay: 0.2\nretries: 0\ntimeout: 10\n' "$site"
		printf 'follow:\n  - "css: a::attr(href)"\n'
	} >"$T/rules-slow/slow.yaml"
	echo "https://$site/slow/1.html" >"$T/urls-slow"
	: >"$T/ngx/logs/h2.log"
	: >"$T/up.log"
	run "$SCRAPER" crawl -c "$T/rules-slow" -d "$T/slow.db" "$T/urls-slow"
	gap=$(min_gap_ms "$T/up.log" /)
	is "$status:$(sql "$T/slow.db" "SELECT count(*) FROM pages WHERE status = 200")" 0:6 "h2 with delay: the crawl fetches all 6 pages"
	check "h2 with delay: request starts at least 0.2 s apart over HTTP/2 (shortest gap ${gap} ms; $(cut -f1,2 "$T/ngx/logs/h2.log" | sort -u | tr '\t\n' ' '))" \
	      test "$gap" -ge 180 -a "$(cut -f1,2 "$T/ngx/logs/h2.log" | sort -u | wc -l)" -eq 1 \
	      -a "$(cut -f1 "$T/ngx/logs/h2.log" | sort -u)" = HTTP/2.0
else
	skip 9 "nginx, openssl or python3 not installed"
fi

# ---- 2. br and zstd -----------------------------------------------------------------
product_page >"$T/zs/plain/page.html"
echo 'User-agent: *' >"$T/zs/robots.txt"
product_rules "$T/rules-enc/zs.yaml" "127.0.0.1:ZS_PORT"
if [ -n "$have_zstd" ]; then
	zstd -q -c "$T/zs/plain/page.html" >"$T/zs/enc/page.zst"
	cp "$T/bomb.zst" "$T/zs/enc/bomb.zst"
	cat >"$T/zs.routes" <<EOF
/enc/page.html file=enc/page.zst type=text/html header="Content-Encoding: zstd"
/enc/bomb.html file=enc/bomb.zst type=text/html header="Content-Encoding: zstd"
EOF
else
	: >"$T/zs.routes"
fi
echo '/enc/corrupt.html body="this is not zstd" type=text/html header="Content-Encoding: zstd"' >>"$T/zs.routes"
start_server ZS --root "$T/zs" --routes "$T/zs.routes" --log "$T/zs.log"
sed -i "s/ZS_PORT/$ZS/" "$T/rules-enc/zs.yaml"
{
	echo "http://127.0.0.1:$ZS/enc/bomb.html"
	echo "http://127.0.0.1:$ZS/enc/page.html"
	echo "http://127.0.0.1:$ZS/plain/page.html"
	echo "http://127.0.0.1:$ZS/enc/corrupt.html"
} >"$T/urls-enc"
if [ -n "$have_brotli" ]; then
	echo 'User-agent: *' >"$T/br/robots.txt"
	product_page >"$T/br/enc/page.html"
	head -c 1073741824 /dev/zero | brotli -q 5 -c >"$T/br/enc/bomb.html.br"
	product_rules "$T/rules-enc/br.yaml" "127.0.0.1:$BR"
	echo "http://127.0.0.1:$BR/enc/bomb.html" >>"$T/urls-enc"
	echo "http://127.0.0.1:$BR/enc/page.html" >>"$T/urls-enc"
	: >"$T/ngx/logs/br.log"
fi
run "$SCRAPER" crawl -c "$T/rules-enc" -d "$T/enc.db" "$T/urls-enc"
is "$status" 0 "encodings: the crawl exits 0"
plain=$(items_of "$T/enc.db" "http://127.0.0.1:$ZS/plain/page.html")
like "$plain" '"name":"Product number 5","price":35.5' "encodings: the plain page's five items"
like "$(sql "$T/enc.db" "SELECT coalesce(status, 'NULL') || ' ' || error FROM pages WHERE url LIKE '%/corrupt.html'")" \
     '^NULL body could not be decoded after HTTP 200: Content-Encoding zstd: ' \
     "encodings: a body that is not what its Content-Encoding says fails, naming the encoding"
ae=$(awk -F'\t' '$5 == "/enc/page.html" { print $8 }' "$T/zs.log")
like "$ae" '^(.*, )?deflate, gzip, br, zstd$' "encodings: Accept-Encoding advertises gzip, deflate, br and zstd ($ae)"

# bomb_checks NAME URL SITE: the bomb cut at max_bytes, memory bounded
bomb_checks() {
	is "$(sql "$T/enc.db" "SELECT status || ' ' || bytes || ' ' || error FROM pages WHERE url = '$2'")" \
	   "200 1048576 body cut off at max_bytes (1048576 bytes)" "$1 bomb: cut at max_bytes, and the page says so"
	rss=$(sql "$T/enc.db" "SELECT peak_rss_kb FROM site_usage WHERE site = '$3'")
	check "$1 bomb: the worker's peak memory stays bounded (${rss} KB for a 1 GB body)" test "${rss:-999999}" -lt 131072
}
if [ -n "$have_zstd" ]; then
	is "$(sql "$T/enc.db" "SELECT status || ' ' || bytes || ' ' || coalesce(error, '-') FROM pages WHERE url = 'http://127.0.0.1:$ZS/enc/page.html'")" \
	   "200 $(wc -c <"$T/zs/plain/page.html" | tr -d ' ') -" "zstd: the page stored with its decoded size ($(wc -c <"$T/zs/enc/page.zst" | tr -d ' ') bytes on the wire)"
	is "$(items_of "$T/enc.db" "http://127.0.0.1:$ZS/enc/page.html")" "$plain" "zstd: decoded, its items equal the plain page's"
	bomb_checks zstd "http://127.0.0.1:$ZS/enc/bomb.html" "127.0.0.1:$ZS"
else
	skip 4 "the zstd tool is not installed"
fi
if [ -n "$have_brotli" ]; then
	is "$(awk -F'\t' '{ print $4 " " $6 }' "$T/ngx/logs/br.log" | sort | tr '\n' ',')" \
	   "/enc/bomb.html br,/enc/page.html br,/robots.txt -," "br: nginx sent the pages br (filter and static; robots.txt is text/plain)"
	is "$(items_of "$T/enc.db" "http://127.0.0.1:$BR/enc/page.html")" "$plain" "br: decoded, its items equal the plain page's"
	bomb_checks br "http://127.0.0.1:$BR/enc/bomb.html" "127.0.0.1:$BR"
else
	skip 4 "nginx's brotli modules or the brotli tool not installed"
fi

# ---- 3. IPv6 loopback ---------------------------------------------------------------
if grep -q '^00000000000000000000000000000001 ' /proc/net/if_inet6 2>/dev/null; then
	printf 'User-agent: *\nDisallow: /private/\n' >"$T/v6/robots.txt"
	for p in a b private/x; do
		printf '<html><head><title>v6 %s</title></head><body><a href="/index.html">home</a></body></html>\n' "$p" >"$T/v6/$p.html"
	done
	start_server V6 --bind ::1 --root "$T/v6" --log "$T/v6.log"
	site6="[::1]:$V6"
	# the address written out in full, in the seed and a link: one site, one URL form
	printf '<html><body><a href="/a.html">a</a> <a href="http://[0:0::1]:%s/b.html">b</a> <a href="/private/x.html">x</a></body></html>\n' \
		"$V6" >"$T/v6/index.html"
	{
		printf 'site: "%s"\nconcurrency: 2\ndelay: 0.2\nretries: 0\ntimeout: 10\n' "$site6"
		printf 'follow:\n  - "css: a::attr(href)"\nitems:\n  page:\n    fields:\n      title: "css: title::text"\n'
	} >"$T/rules-v6/v6.yaml"
	echo "http://[0:0:0:0:0:0:0:1]:$V6/index.html" >"$T/urls-v6"
	run "$SCRAPER" crawl -c "$T/rules-v6" -d "$T/v6.db" "$T/urls-v6"
	is "$status" 0 "IPv6: the crawl exits 0"
	is "$(sql "$T/v6.db" "SELECT group_concat(site || ' ' || url || ' ' || coalesce(status, 'NULL'), ',') FROM (SELECT * FROM pages ORDER BY url)")" \
	   "$site6 http://$site6/a.html 200,$site6 http://$site6/b.html 200,$site6 http://$site6/index.html 200,$site6 http://$site6/private/x.html NULL" \
	   "IPv6: pages under the site [::1]:PORT, with their URLs in the short form"
	is "$(sql "$T/v6.db" "SELECT group_concat(json_extract(data, '\$.title'), ',') FROM (SELECT data FROM items WHERE site = '$site6' ORDER BY url)")" \
	   "v6 a,v6 b" "IPv6: the rule file for [::1]:PORT applied (its items)"
	like "$(sql "$T/v6.db" "SELECT error FROM pages WHERE url LIKE '%/private/x.html'")" "robots.txt" \
	     "IPv6: robots.txt obeyed (a disallowed page not fetched, saying why)"
	is "$(cut -f5 "$T/v6.log" | tr '\n' ' ')" "/robots.txt /index.html /a.html /b.html " \
	   "IPv6: robots.txt first, nothing disallowed requested"
	gap=$(min_gap_ms "$T/v6.log" /)
	check "IPv6: delay 0.2 s between request starts (shortest gap ${gap} ms)" test "$gap" -ge 180
else
	skip 6 "::1 is not configured on the loopback interface"
fi

# ---- 4. HTTP/1.0 servers ------------------------------------------------------------
echo 'User-agent: *' >"$T/old/robots.txt"
{
	echo '<html><body>'
	for i in $(seq 1 8); do printf '<a href="/p%s.html">%s</a>\n' "$i" "$i"; done
	echo '</body></html>'
} >"$T/old/index.html"
for i in $(seq 1 8); do
	{
		printf '<html><head><title>old %s</title></head><body><h1 class="name">old page %s</h1>' "$i" "$i"
		printf '<span class="price">%s</span>' "$i"
		head -c $((i * 5000)) /dev/zero | tr '\0' 'x'
		echo '<p class="end">end</p></body></html>'
	} >"$T/old/p$i.html"
done
for i in $(seq 1 8); do
	printf '%s\t%s\n' "/p$i.html" "$(wc -c <"$T/old/p$i.html" | tr -d ' ')"
done >"$T/old-sizes"
for mode in close length; do
	start_server OLD --http10 $mode --root "$T/old" --log "$T/old-$mode.log"
	{
		printf 'site: "127.0.0.1:%s"\nconcurrency: 3\ndelay: 0\nretries: 0\ntimeout: 20\n' "$OLD"
		printf 'follow:\n  - "css: a::attr(href)"\nitems:\n  old:\n    fields:\n'
		printf '      name: { css: "h1.name::text", required: true }\n      end: "css: p.end::text"\n'
	} >"$T/rules-old/old.yaml"
	echo "http://127.0.0.1:$OLD/index.html" >"$T/urls-old"
	run "$SCRAPER" crawl -c "$T/rules-old" -d "$T/old-$mode.db" "$T/urls-old"
	is "$status:$(sql "$T/old-$mode.db" "SELECT count(*) || ':' || count(error) || ':' || min(elapsed_ms < 5000) FROM pages WHERE status = 200")" \
	   "0:9:0:1" "HTTP/1.0 ($mode): 9 pages, no error, none waited for a timeout"
	is "$(sql "$T/old-$mode.db" "SELECT substr(url, length('http://127.0.0.1:$OLD') + 1) || '	' || bytes FROM pages WHERE url LIKE '%/p%' ORDER BY url")" \
	   "$(cat "$T/old-sizes")" "HTTP/1.0 ($mode): each page's bytes are the file's"
	is "$(sql "$T/old-$mode.db" "SELECT count(*) || ':' || sum(json_extract(data, '\$.end') = 'end') FROM items")" "8:8" \
	   "HTTP/1.0 ($mode): every item complete, to the page's last element"
	kill "$OLD_PID"
	wait "$OLD_PID" 2>/dev/null
done

# a body cut short of its Content-Length by an HTTP/1.1 server: an error, cleanly
# closed (fin) or reset
cat >"$T/cut.routes" <<'EOF'
/cut-fin reset-after=3000 fin type=text/html
/cut-reset reset-after=3000 type=text/html
EOF
start_server CUT --routes "$T/cut.routes" --log "$T/cut.log"
mkdir -p "$T/rules-cut"
product_rules "$T/rules-cut/cut.yaml" "127.0.0.1:$CUT" 'robots: ignore'
printf 'http://127.0.0.1:%s/cut-fin\nhttp://127.0.0.1:%s/cut-reset\n' "$CUT" "$CUT" >"$T/urls-cut"
run "$SCRAPER" crawl -c "$T/rules-cut" -d "$T/cut.db" "$T/urls-cut"
like "$(sql "$T/cut.db" "SELECT state || ': ' || error FROM frontier WHERE url LIKE '%/cut-fin'")" \
     '^failed: .*(closed with [0-9]+ bytes remaining|Partial)' "HTTP/1.1 body short of its Content-Length, closed: the URL fails saying so"
like "$(sql "$T/cut.db" "SELECT state || ': ' || error FROM frontier WHERE url LIKE '%/cut-reset'")" \
     '^failed: .*(reset|Recv failure|closed with)' "HTTP/1.1 body short of its Content-Length, reset: the URL fails saying so"

done_testing
