#!/bin/sh
# bench/pg.sh: scraper on PostgreSQL against SQLite, on the shop corpus, in one run.
#
#   bench/pg.sh               SQLite, then one node on PostgreSQL, then three nodes
#   ROUNDS=3 bench/pg.sh      more rounds (the median is what to quote)
#
# Uses a corpus bench/run generated (CORPUS, default the 8 x 1,250 shop under
# /tmp/scraper-bench) served by nginx (bench/serve.sh, under $BENCH_TMP), and starts its
# own PostgreSQL server (Debian's postgresql; as root it runs as nobody) in
# $BENCH_TMP/pg with its stock settings (fsync on, synchronous_commit on), talking over
# a Unix socket.  For each run it prints pages/s (corpus pages / wall time of the
# whole command) and the CPU of the database server per page: the postmaster's own
# and reaped children's user+sys CPU (/proc/PID/stat: backends are its children) plus
# its live children's, before and after the run.  SQLite's writer runs inside the
# crawler, so its database CPU is part of the crawler's; the crawler's CPU per page is
# printed for every run.  Needs: nginx, postgresql, a built scraper (SCRAPER).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
BENCH_TMP=${BENCH_TMP:-/tmp/scraper-bench-pg}
CORPUS=${CORPUS:-/tmp/scraper-bench/shop-s8-p1250-seed42}
SCRAPER=${SCRAPER:-$here/../_build/scraper/scraper}
WORKERS=${WORKERS:-64}
ROUNDS=${ROUNDS:-1}
PG_USER=${PG_USER:-nobody}
PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | tail -1)}

die() { echo "pg.sh: $*" >&2; exit 1; }
[ -f "$CORPUS/seeds.txt" ] || die "no corpus at $CORPUS (run bench/run once, or set CORPUS)"
[ -x "$SCRAPER" ] || die "no scraper at $SCRAPER (build it, or set SCRAPER)"
[ -x "$PG_BIN/initdb" ] || die "PostgreSQL server binaries not found (apt-get install postgresql)"

as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u "$PG_USER" -- "$@"; else "$@"; fi; }

mkdir -p "$BENCH_TMP"
PGDIR="$BENCH_TMP/pg"
rm -rf "$PGDIR"
mkdir -p "$PGDIR"
[ "$(id -u)" = 0 ] && chown "$PG_USER" "$PGDIR" && chmod 755 "$BENCH_TMP"
as_pg "$PG_BIN/initdb" -D "$PGDIR/data" -A trust -U scraper -E UTF8 --locale=C >/dev/null
as_pg "$PG_BIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/log" -w \
	-o "-k $PGDIR -p 5432 -c listen_addresses= -c max_connections=50" start >/dev/null
BENCH_TMP=$BENCH_TMP "$here/serve.sh" start "$CORPUS" >/dev/null
cleanup() {
	BENCH_TMP=$BENCH_TMP "$here/serve.sh" stop >/dev/null 2>&1 || true
	as_pg "$PG_BIN/pg_ctl" -D "$PGDIR/data" -m fast -w stop >/dev/null 2>&1 || true
}
trap cleanup EXIT
PM=$(head -1 "$PGDIR/data/postmaster.pid")
URI="postgresql://scraper@/postgres?host=$PGDIR&port=5432"
TICK=$(getconf CLK_TCK)

# The database server's CPU so far, in clock ticks.
pg_ticks() {
	t=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$PM/stat")
	for c in $(cat "/proc/$PM/task/$PM/children" 2>/dev/null); do
		t=$((t + $(awk '{print $14 + $15}' "/proc/$c/stat" 2>/dev/null || echo 0)))
	done
	echo "$t"
}

pages_in() { # DB -> pages with a response
	"$SCRAPER" query -d "$1" -f csv "SELECT count(*) AS n FROM pages WHERE status = 200" | tail -1 | tr -d '\r'
}

fresh_pg() {
	psql -X -q -d "$URI" -c "SET client_min_messages TO warning" \
		-c "DROP SCHEMA public CASCADE" -c "CREATE SCHEMA public" >/dev/null ||
		die "cannot empty the database (see $PGDIR/log)"
}

# run NAME NODES: one crawl (or NODES at once), printing a row.
run() {
	name=$1 nodes=$2
	if [ "$name" = sqlite ]; then
		db="$BENCH_TMP/s.db"
		rm -f "$db" "$db-wal" "$db-shm"
	else
		db=$URI
		fresh_pg
	fi
	p0=$(pg_ticks)
	start=$(date +%s.%N)
	pids=
	for n in $(seq 1 "$nodes"); do
		if [ "$name" = sqlite ]; then
			/usr/bin/time -f '%U %S' -o "$BENCH_TMP/time.$n" \
				"$SCRAPER" crawl -q -c "$here/rules" -d "$db" --workers "$WORKERS" \
				"$CORPUS/seeds.txt" &
		else
			/usr/bin/time -f '%U %S' -o "$BENCH_TMP/time.$n" \
				"$SCRAPER" crawl -q -c "$here/rules" -d "$db" --node "n$n" \
				--workers "$WORKERS" "$CORPUS/seeds.txt" &
		fi
		pids="$pids $!"
	done
	for p in $pids; do wait "$p" || echo "pg.sh: a crawl failed" >&2; done
	end=$(date +%s.%N)
	sleep 1 # the backends exit after their crawl: let the postmaster reap them
	p1=$(pg_ticks)
	pages=$(pages_in "$db") || die "$name: cannot count the pages"
	[ "${pages:-0}" -gt 0 ] || die "$name: no pages stored"
	cpu=0
	for n in $(seq 1 "$nodes"); do
		cpu=$(awk -v a="$cpu" '{print a + $1 + $2}' "$BENCH_TMP/time.$n")
	done
	awk -v name="$name" -v pages="$pages" -v s="$start" -v e="$end" -v cpu="$cpu" \
	    -v pg="$((p1 - p0))" -v tick="$TICK" -v sql="$name" 'BEGIN {
		w = e - s
		printf "%-10s %7d pages %7.2f s %8.1f pages/s   crawler CPU %6.2f ms/page   db server CPU %6.2f ms/page\n",
		    name, pages, w, pages / w, cpu * 1000 / pages,
		    (sql == "sqlite" ? 0 : pg / tick * 1000 / pages)
	}' | tee -a "$BENCH_TMP/rows"
}

echo "corpus $CORPUS, --workers $WORKERS, $(nproc) cores, PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}')"
rm -f "$BENCH_TMP/rows"
for r in $(seq 1 "$ROUNDS"); do
	run sqlite 1
	run pg-1node 1
	run pg-3nodes 3
done
# Medians over the rounds, and PostgreSQL's pages/s as a share of SQLite's.
awk '{ n[$1]++; v[$1, n[$1]] = $6 }
function median(k,   i, j, t, a, m) {
	m = n[k]
	for (i = 1; i <= m; i++) a[i] = v[k, i]
	for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
	return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
}
END {
	s = median("sqlite")
	printf "median pages/s over %d rounds: sqlite %.1f, pg-1node %.1f (%.2fx), pg-3nodes %.1f (%.2fx)\n",
	    n["sqlite"], s, median("pg-1node"), median("pg-1node") / s, median("pg-3nodes"),
	    median("pg-3nodes") / s
}' "$BENCH_TMP/rows"
