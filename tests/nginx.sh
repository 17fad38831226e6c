# tests/nginx.sh: a private certificate authority and an nginx of the test's own, for
# the tests that need a real TLS (and HTTP/2) server: https.sh, protocols.sh.  Sourced
# after tests/lib.sh; everything lives under $T and nginx is killed with the test.
#
#   ngx_find                  sets NGINX; false when nginx, openssl or python3 is missing
#   ca_make                   a CA in $T/ca (ca.pem, ca.key)
#   cert NAME SAN [DATES...]  $T/ca/NAME.pem and NAME.key, signed by the CA
#   free_port                 a free loopback port
#   ngx_start FILE URL        nginx with FILE's lines inside its http { } block (server
#                             blocks, log formats) and the modules named in $NGX_MODULES
#                             (file names under nginx's module folder); waits until
#                             URL answers (curl, trusting the CA), not a timer

ngx_find() {
	NGINX=$(command -v nginx || ls /usr/sbin/nginx 2>/dev/null)
	[ -n "$NGINX" ] && command -v openssl >/dev/null 2>&1 && command -v python3 >/dev/null 2>&1
}

# ngx_module NAME: the path of nginx's dynamic module NAME (ngx_http_..._module.so), or false.
ngx_module() {
	for _d in /usr/lib/nginx/modules /usr/share/nginx/modules /usr/lib64/nginx/modules; do
		if [ -f "$_d/$1" ]; then
			echo "$_d/$1"
			return 0
		fi
	done
	return 1
}

_ossl() {
	openssl "$@" >>"$T/openssl.log" 2>&1 || { echo "Bail out! openssl $1 failed: $(tail -3 "$T/openssl.log")"; exit 99; }
}

ca_make() {
	mkdir -p "$T/ca"
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
	_ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
		-subj "/CN=scraper test CA" -keyout "$T/ca/ca.key" -out "$T/ca/ca.pem"
}

# cert NAME SAN [openssl ca dates...]
cert() {
	_name=$1 _san=$2
	shift 2
	_ossl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=$_name" \
		-addext "subjectAltName=$_san" -keyout "$T/ca/$_name.key" -out "$T/ca/$_name.csr"
	_ossl ca -batch -config "$T/ca/ca.cnf" -cert "$T/ca/ca.pem" -keyfile "$T/ca/ca.key" \
		-in "$T/ca/$_name.csr" -out "$T/ca/$_name.pem" -notext "$@"
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

ngx_start() {
	mkdir -p "$T/ngx/logs"
	{
		for _m in ${NGX_MODULES:-}; do
			_p=$(ngx_module "$_m") || { echo "Bail out! nginx module $_m not found"; exit 99; }
			echo "load_module $_p;"
		done
		cat <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $T/ngx/nginx.pid;
error_log $T/ngx/logs/error.log;
events { worker_connections 256; }
http {
	access_log $T/ngx/logs/access.log;
	client_body_temp_path $T/ngx/body;
	proxy_temp_path $T/ngx/proxy;
	fastcgi_temp_path $T/ngx/fastcgi;
	uwsgi_temp_path $T/ngx/uwsgi;
	scgi_temp_path $T/ngx/scgi;
	types { text/html html; text/plain txt; }
EOF
		cat "$1"
		echo "}"
	} >"$T/ngx/nginx.conf"
	"$NGINX" -p "$T/ngx" -c "$T/ngx/nginx.conf" 2>>"$T/ngx/logs/stderr" &
	NGINX_PID=$!
	_pids="$_pids $NGINX_PID"
	_tries=0
	until curl -s -o /dev/null --cacert "$T/ca/ca.pem" "$2" 2>/dev/null; do
		_tries=$((_tries + 1))
		if [ $_tries -gt 200 ] || ! kill -0 "$NGINX_PID" 2>/dev/null; then
			echo "Bail out! nginx did not start: $(cat "$T/ngx/logs/error.log" "$T/ngx/logs/stderr" 2>/dev/null | tail -5)"
			exit 99
		fi
		sleep 0.05
	done
}
