# https.sh: HTTPS from inside the sandbox, with a private certificate authority.
#
# The test makes a CA with openssl, and three server certificates: a good one for
# localhost and 127.0.0.1, an expired one, one for another host.  nginx serves a
# small site with each on its own port.  A crawl that trusts the CA (rule key
# ca_file, or crawl --ca-file) fetches the site over a DNS name and over the address
# (the worker read the CA bundle before its seccomp filter went on); a crawl that does
# not trust it, or meets the expired or wrong-host certificate, fails each URL with
# words that say why and stores nothing from it.  Skipped without nginx or openssl.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/nginx.sh"

if ! ngx_find; then
	echo "1..0 # SKIP nginx, openssl or python3 not installed"
	exit 0
fi
plan 12

# ---- the certificate authority and the certificates ----
mkdir -p "$T/rules" "$T/www/s"
ca_make
cert good "DNS:localhost,IP:127.0.0.1" -days 2
cert expired "DNS:localhost,IP:127.0.0.1" -startdate 20200101000000Z -enddate 20200201000000Z
cert wrong "DNS:wrong.example" -days 2
cp "$T/ca/ca.pem" "$T/rules/private-ca.pem"

# ---- nginx on three free ports ----
GOOD=$(free_port) EXPIRED=$(free_port) WRONG=$(free_port)
server_block() {
	cat <<EOF
	server {
		listen 127.0.0.1:$1 ssl;
		ssl_certificate $T/ca/$2.pem;
		ssl_certificate_key $T/ca/$2.key;
		root $T/www;
	}
EOF
}
{
	server_block "$GOOD" good
	server_block "$EXPIRED" expired
	server_block "$WRONG" wrong
} >"$T/servers.conf"
echo 'User-agent: *' >"$T/www/robots.txt"
for i in 1 2 3; do
	printf '<html><head><title>secure %s</title></head><body><a href="/s/%s.html">next</a></body></html>\n' \
		"$i" "$((i % 3 + 1))" >"$T/www/s/$i.html"
done
ngx_start "$T/servers.conf" "https://localhost:$GOOD/robots.txt"

rules() { # rules FILE SITE [extra lines]
	_f=$1 _s=$2
	shift 2
	{
		printf 'site: "%s"\ndelay: 0\nretries: 0\ntimeout: 10\n' "$_s"
		for _l in "$@"; do echo "$_l"; done
		printf 'follow:\n  - "css: a::attr(href)"\nitems:\n  page:\n    fields:\n      title: "css: title::text"\n'
	} >"$T/rules/$_f.yaml"
}

# ---- a trusted CA: over a DNS name with the rule key, over the address with --ca-file ----
rules good "localhost:$GOOD" 'ca_file: private-ca.pem'
echo "https://localhost:$GOOD/s/1.html" >"$T/urls-good"
run "$SCRAPER" crawl -c "$T/rules" -d "$T/good.db" "$T/urls-good"
is "$status" 0 "ca_file: the crawl exits 0"
is "$(sql "$T/good.db" "SELECT count(*) FROM pages WHERE status = 200 AND url LIKE 'https://localhost:$GOOD/s/%'")" 3 \
   "ca_file: three pages fetched over https by name"
is "$(sql "$T/good.db" "SELECT group_concat(json_extract(data, '\$.title'), ',') FROM (SELECT data FROM items ORDER BY url)")" \
   "secure 1,secure 2,secure 3" "ca_file: their items stored"

rm -f "$T/rules/good.yaml"
rules addr "127.0.0.1:$GOOD"
echo "https://127.0.0.1:$GOOD/s/1.html" >"$T/urls-addr"
run "$SCRAPER" crawl --ca-file "$T/ca/ca.pem" -c "$T/rules" -d "$T/addr.db" "$T/urls-addr"
is "$status:$(sql "$T/addr.db" "SELECT count(*) FROM pages WHERE status = 200")" 0:3 \
   "--ca-file: three pages fetched over https by address"

# ---- untrusted, expired, wrong host: failed in words, nothing stored ----
# check_refused NAME DB STATE REGEX (under robots: obey, robots.txt is the first request
# refused: the page is then skipped, with the certificate's error in its reason)
check_refused() {
	like "$(sql "$2" "SELECT state || ': ' || coalesce(error, '') FROM frontier")" "^$3: .*$4" \
	     "$1: the URL fails saying why"
	is "$(sql "$2" "SELECT count(*) FROM items"):$(sql "$2" "SELECT count(*) FROM pages WHERE status IS NOT NULL")" 0:0 \
	   "$1: nothing is stored from it"
}
run "$SCRAPER" crawl -c "$T/rules" -d "$T/untrusted.db" "$T/urls-addr"
check_refused untrusted "$T/untrusted.db" skipped "robots.txt unavailable .*(unable to get local issuer certificate|self.signed certificate|certificate verify failed)"

rm -f "$T/rules/addr.yaml"
rules expired "localhost:$EXPIRED" 'ca_file: private-ca.pem' 'robots: ignore'
echo "https://localhost:$EXPIRED/s/1.html" >"$T/urls-expired"
run "$SCRAPER" crawl -c "$T/rules" -d "$T/expired.db" "$T/urls-expired"
check_refused expired "$T/expired.db" failed "certificate has expired"

rules wrong "localhost:$WRONG" 'ca_file: private-ca.pem' 'robots: ignore'
echo "https://localhost:$WRONG/s/1.html" >"$T/urls-wrong"
run "$SCRAPER" crawl -c "$T/rules" -d "$T/wrong.db" "$T/urls-wrong"
check_refused wrong-host "$T/wrong.db" failed "(no alternative certificate subject name matches|does not match target host)"

# ---- a CA file that cannot be read stops the crawl before it starts ----
run "$SCRAPER" crawl --ca-file "$T/nonexistent.pem" -c "$T/rules" -d "$T/none.db" "$T/urls-good"
is "$status:$(echo "$err" | grep -c -- '--ca-file .*nonexistent.pem')" 2:1 "--ca-file that does not exist: exit 2, saying so"
rules missing "localhost:$GOOD" 'ca_file: missing.pem'
run "$SCRAPER" crawl -c "$T/rules" -d "$T/none.db" "$T/urls-good"
is "$status:$(echo "$err" | grep -c 'ca_file .*missing.pem')" 2:1 "ca_file that does not exist: exit 2, naming it"

done_testing
