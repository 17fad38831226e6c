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

NGINX=$(command -v nginx || ls /usr/sbin/nginx 2>/dev/null)
if [ -z "$NGINX" ] || ! command -v openssl >/dev/null 2>&1 || ! command -v python3 >/dev/null 2>&1; then
	echo "1..0 # SKIP nginx, openssl or python3 not installed"
	exit 0
fi
plan 12

# ---- the certificate authority and the certificates ----
mkdir -p "$T/ca" "$T/rules" "$T/www/s" "$T/ngx/logs"
: >"$T/ca/index.txt"
echo 1000 >"$T/ca/serial"
cat >"$T/ca/ca.cnf" <<EOF
[ ca ]
default_ca = local
[ local ]
database = $T/ca/index.txt
new_certs_dir = $T/ca
serial = $T/ca/serial
default_md = sha256
policy = any
copy_extensions = copy
unique_subject = no
[ any ]
commonName = supplied
EOF
ossl() {
	openssl "$@" >>"$T/openssl.log" 2>&1 || { echo "Bail out! openssl $1 failed: $(tail -3 "$T/openssl.log")"; exit 99; }
}
ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
	-subj "/CN=scraper test CA" -keyout "$T/ca/ca.key" -out "$T/ca/ca.pem"
# cert NAME SAN [openssl ca dates...]
cert() {
	_name=$1 _san=$2
	shift 2
	ossl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=$_name" \
		-addext "subjectAltName=$_san" -keyout "$T/ca/$_name.key" -out "$T/ca/$_name.csr"
	ossl ca -batch -config "$T/ca/ca.cnf" -cert "$T/ca/ca.pem" -keyfile "$T/ca/ca.key" \
		-in "$T/ca/$_name.csr" -out "$T/ca/$_name.pem" -notext "$@"
}
cert good "DNS:localhost,IP:127.0.0.1" -days 2
cert expired "DNS:localhost,IP:127.0.0.1" -startdate 20200101000000Z -enddate 20200201000000Z
cert wrong "DNS:wrong.example" -days 2
cp "$T/ca/ca.pem" "$T/rules/private-ca.pem"

# ---- nginx on three free ports ----
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
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
	cat <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $T/ngx/nginx.pid;
error_log $T/ngx/logs/error.log;
events { worker_connections 64; }
http {
	access_log $T/ngx/logs/access.log;
	client_body_temp_path $T/ngx/body;
	proxy_temp_path $T/ngx/proxy;
	fastcgi_temp_path $T/ngx/fastcgi;
	uwsgi_temp_path $T/ngx/uwsgi;
	scgi_temp_path $T/ngx/scgi;
	types { text/html html; text/plain txt; }
EOF
	server_block "$GOOD" good
	server_block "$EXPIRED" expired
	server_block "$WRONG" wrong
	echo "}"
} >"$T/ngx/nginx.conf"
echo 'User-agent: *' >"$T/www/robots.txt"
for i in 1 2 3; do
	printf '<html><head><title>secure %s</title></head><body><a href="/s/%s.html">next</a></body></html>\n' \
		"$i" "$((i % 3 + 1))" >"$T/www/s/$i.html"
done
"$NGINX" -p "$T/ngx" -c "$T/ngx/nginx.conf" 2>>"$T/ngx/logs/stderr" &
_pids="$_pids $!"
tries=0
until curl -s --cacert "$T/ca/ca.pem" "https://localhost:$GOOD/robots.txt" >/dev/null 2>&1; do
	tries=$((tries + 1))
	if [ $tries -gt 200 ]; then
		echo "Bail out! nginx did not start: $(cat "$T/ngx/logs/error.log" "$T/ngx/logs/stderr" 2>/dev/null | tail -5)"
		exit 99
	fi
	sleep 0.05
done

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
