#!/bin/sh
# bench/serve.sh start CORPUS_DIR | stop | status
#
# Serves a corpus written by bench/gen_corpus.py with nginx: one server per site on
# 127.0.0.1:<port> (from CORPUS_DIR/sites.tsv), worker_processes 1, keep-alive on,
# access_log off.  Config, pid file, error log and temp folders live under
# $BENCH_TMP/nginx-shop (default /tmp/scraper-bench/nginx-shop); nothing outside it is written, and
# it runs as the current user (as root, the worker runs as root too so that it can read
# any corpus folder).  stop sends QUIT to the pid in the pid file.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
BENCH_TMP=${BENCH_TMP:-/tmp/scraper-bench}
prefix=$BENCH_TMP/nginx-shop
NGINX=${NGINX:-$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)}

die() { echo "serve.sh: $*" >&2; exit 1; }

running() {
	[ -f "$prefix/nginx.pid" ] && kill -0 "$(cat "$prefix/nginx.pid")" 2>/dev/null
}

start() {
	corpus=$(cd "$1" && pwd) || die "no corpus folder $1"
	[ -f "$corpus/sites.tsv" ] || die "$corpus/sites.tsv missing (run bench/gen_corpus.py)"
	[ -x "$NGINX" ] || die "nginx not found (Debian: apt-get install nginx)"
	running && stop
	mkdir -p "$prefix/logs" "$prefix/tmp"
	nsites=$(wc -l <"$corpus/sites.tsv")
	# one listening socket per site, plus keep-alive connections from the crawlers
	conns=$((nsites * 4 + 1024))
	nofile=$((conns * 2 + 64))
	# shellcheck disable=SC3045  # dash, bash and busybox sh all have ulimit -n
	cur=$(ulimit -n)
	if [ "$cur" != unlimited ] && [ "$cur" -lt "$nofile" ]; then
		# shellcheck disable=SC3045
		ulimit -n "$nofile" 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
	fi
	user=""
	[ "$(id -u)" -eq 0 ] && user="user $(id -un) $(id -gn);"
	awk -F '\t' '{ printf "server {\n    listen 127.0.0.1:%s;\n    server_name _;\n    root %s;\n    location / { try_files $uri =404; }\n}\n", $2, $3 }' \
		"$corpus/sites.tsv" >"$prefix/servers.conf"
	sed -e "s|@PREFIX@|$prefix|g" -e "s|@USER@|$user|" -e "s|@NOFILE@|$nofile|" \
		-e "s|@CONNECTIONS@|$conns|" "$here/nginx.conf.in" >"$prefix/nginx.conf"
	"$NGINX" -p "$prefix" -c "$prefix/nginx.conf" -e "$prefix/logs/error.log" -t -q ||
		die "bad nginx config $prefix/nginx.conf (see $prefix/logs/error.log)"
	"$NGINX" -p "$prefix" -c "$prefix/nginx.conf" -e "$prefix/logs/error.log" ||
		die "nginx did not start (ports in use?); see $prefix/logs/error.log"
	i=0
	while ! running; do
		i=$((i + 1)); [ $i -gt 50 ] && die "nginx did not write $prefix/nginx.pid"
		sleep 0.1
	done
	# wait until the last site answers
	last=$(tail -n 1 "$corpus/sites.tsv" | cut -f 1)
	i=0
	while ! python3 -c "import sys,urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2).read()" \
		"http://$last/robots.txt" 2>/dev/null; do
		i=$((i + 1)); [ $i -gt 50 ] && die "nginx does not answer on $last"
		sleep 0.1
	done
	echo "serve.sh: nginx (pid $(cat "$prefix/nginx.pid")) serves $nsites sites from $corpus; config $prefix/nginx.conf" >&2
}

stop() {
	if running; then
		pid=$(cat "$prefix/nginx.pid")
		kill -QUIT "$pid"
		i=0
		while kill -0 "$pid" 2>/dev/null; do
			i=$((i + 1)); [ $i -gt 100 ] && { kill -TERM "$pid" 2>/dev/null || true; break; }
			sleep 0.1
		done
		echo "serve.sh: nginx (pid $pid) stopped" >&2
	fi
	rm -f "$prefix/nginx.pid"
}

case "${1:-}" in
start) [ $# -eq 2 ] || die "usage: serve.sh start CORPUS_DIR"; start "$2" ;;
stop) stop ;;
status) if running; then echo "running, pid $(cat "$prefix/nginx.pid")"; else echo "stopped"; exit 1; fi ;;
*) echo "usage: serve.sh start CORPUS_DIR | stop | status" >&2; exit 2 ;;
esac
