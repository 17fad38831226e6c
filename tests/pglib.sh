# tests/pglib.sh: a throwaway PostgreSQL server for a test (sourced after tests/lib.sh).
#
# pg_require PLAN: print "1..0 # SKIP ..." and exit when the server's binaries
# (initdb, pg_ctl, postgres: Debian's postgresql package) are not installed; else plan.
# pg_start: initdb and start a server in $T/pg, listening on a Unix socket in that
# folder only (no TCP port: nothing to collide with tests running beside it), with
# fsync off; sets PGURI to its connection URI (database postgres, user scraper).
# PostgreSQL refuses to run as root: as root the server runs as $PG_USER (nobody).
# pg_stop / pg_restart: for fault tests.  The server is stopped when the test exits.

PG_USER=${PG_USER:-nobody}
PG_BIN=${PG_BIN:-}

_pg_find() {
	for _d in "$PG_BIN" /usr/lib/postgresql/*/bin /usr/local/pgsql/bin; do
		if [ -n "$_d" ] && [ -x "$_d/initdb" ] && [ -x "$_d/pg_ctl" ] && [ -x "$_d/postgres" ] &&
		   command -v psql >/dev/null 2>&1; then
			PG_BIN=$_d
			return 0
		fi
	done
	return 1
}

pg_require() {
	if ! _pg_find; then
		echo "1..0 # SKIP PostgreSQL server binaries (initdb, pg_ctl) not found; install the postgresql package (scripts/install-deps --all)"
		exit 0
	fi
	if [ "$(id -u)" = 0 ] && ! id "$PG_USER" >/dev/null 2>&1; then
		echo "1..0 # SKIP running as root and there is no user $PG_USER to run PostgreSQL as"
		exit 0
	fi
	plan "$1"
}

# _pg_as COMMAND...: as the server's user.
_pg_as() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u "$PG_USER" -- "$@"
	else
		"$@"
	fi
}

_pg_ctl() {
	_pg_as "$PG_BIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/log" "$@" >>"$PGDIR/ctl.log" 2>&1
}

pg_start() {
	PGDIR="$T/pg"
	mkdir -p "$PGDIR"
	if [ "$(id -u)" = 0 ]; then
		chmod 711 "$T"
		chown "$PG_USER" "$PGDIR"
	fi
	if ! _pg_as "$PG_BIN/initdb" -D "$PGDIR/data" -A trust -U scraper -E UTF8 --locale=C \
		--no-sync >"$PGDIR/initdb.log" 2>&1; then
		echo "Bail out! initdb failed: $(tail -3 "$PGDIR/initdb.log")"
		exit 99
	fi
	pg_restart
	trap '_pg_cleanup; _cleanup' EXIT
	PGURI="postgresql://scraper@/postgres?host=$PGDIR&port=5432"
}

pg_restart() {
	if ! _pg_ctl -o "-k $PGDIR -p 5432 -c listen_addresses= -c fsync=off -c full_page_writes=off -c max_connections=40" -w -t 60 start; then
		echo "Bail out! PostgreSQL did not start: $(tail -5 "$PGDIR/log" "$PGDIR/ctl.log")"
		exit 99
	fi
}

pg_stop() {
	_pg_ctl -m fast -w -t 60 stop
}

_pg_cleanup() {
	[ -n "${PGDIR:-}" ] && [ -f "$PGDIR/data/postmaster.pid" ] && _pg_ctl -m immediate -w -t 30 stop
	return 0
}

# psql_q SQL: one value or rows (unaligned, no header) from the test's server.
psql_q() {
	psql -X -q -A -t -d "$PGURI" -c "$1"
}

# wait_pages URI N: until the database holds N pages (bounded: 60 s; no event says so;
# before the crawl has made its schema psql fails and the count is 0).
wait_pages() {
	_wp_i=0
	while _wp_n=$(psql -X -q -A -t -d "$1" -c "SELECT count(*) FROM pages" 2>/dev/null);
	      [ "${_wp_n:-0}" -lt "$2" ] && [ $_wp_i -lt 600 ]; do
		sleep 0.1
		_wp_i=$((_wp_i + 1))
	done
}
