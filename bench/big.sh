#!/bin/sh
# bench/big.sh: the coordinator at a million pages.  The same crawl shape twice, small
# and big: SITES sites of SMALL pages, then SITES sites of BIG pages (80 x 125 = 10,000
# and 80 x 12,500 = 1,000,000 by default), each site a loopback test server generating
# its pages (tests/testserver --gen: linked pages, one item each), so the page source
# costs the same per page at both sizes and needs no disk (a million shop pages from
# bench/run's corpus are 30 GB, more than the page cache holds).  Reports, per size,
# pages/s, CPU per page of the whole tree and the coordinator's peak RSS (VmHWM,
# sampled by measure.py), and the big crawl's pages/s as a share of the small one's.
#
#   bench/big.sh                       # 80 x 125, then 80 x 12,500
#   SITES=8 SMALL=100 BIG=1000 bench/big.sh   # a quick try
#
# Knobs: SCRAPER, TESTSERVER (else _build's), SITES, SMALL, BIG, WORKERS (64),
# BENCH_TMP (/tmp/scraper-bench-big), RUN_TIMEOUT (3600 s per crawl).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
SCRAPER=${SCRAPER:-$top/_build/scraper/scraper}
TESTSERVER=${TESTSERVER:-$top/_build/tests/testserver}
SITES=${SITES:-80}
SMALL=${SMALL:-125}
BIG=${BIG:-12500}
WORKERS=${WORKERS:-64}
RUN_TIMEOUT=${RUN_TIMEOUT:-3600}
tmp=${BENCH_TMP:-/tmp/scraper-bench-big}

for f in "$SCRAPER" "$TESTSERVER"; do
	[ -x "$f" ] || { echo "big.sh: $f is missing: build first (scripts/build)" >&2; exit 1; }
done
mkdir -p "$tmp"
pids=
cleanup() {
	[ -n "$pids" ] && kill $pids 2>/dev/null
	wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

# The rule file: every link followed, one item per page; a depth no generated site
# needs (its links jump ahead by 1, 2 and 7x).
mkdir -p "$tmp/rules"
cat >"$tmp/rules/gen.yaml" <<'EOF'
site: "127.0.0.1"
concurrency: 4
delay: 0
retries: 0
timeout: 30
max_depth: 1000
max_pages: 1000000
follow:
  - "css: a::attr(href)"
items:
  gen:
    fields:
      name: { css: "h1.name::text", required: true }
      price: { css: "span.price::text", type: number }
EOF

# run N: crawl SITES servers of N pages each; prints "pages wall_s cpu_s coord_kb"
run() {
	n=$1
	pids=
	: >"$tmp/seeds-$n"
	for i in $(seq 1 "$SITES"); do
		"$TESTSERVER" --gen "$n" >"$tmp/port.$i" &
		pids="$pids $!"
	done
	for i in $(seq 1 "$SITES"); do
		k=0
		while [ ! -s "$tmp/port.$i" ] && [ $k -lt 200 ]; do sleep 0.05; k=$((k + 1)); done
		echo "http://127.0.0.1:$(cat "$tmp/port.$i")/gen/0.html" >>"$tmp/seeds-$n"
	done
	rm -f "$tmp/db-$n" "$tmp/db-$n-wal" "$tmp/db-$n-shm"
	python3 "$here/measure.py" --out "$tmp/result-$n.json" --timeout "$RUN_TIMEOUT" \
		--log "$tmp/log-$n" -- "$SCRAPER" crawl -q -c "$tmp/rules" -d "$tmp/db-$n" \
		--workers "$WORKERS" "$tmp/seeds-$n" >/dev/null
	kill $pids 2>/dev/null || true
	wait 2>/dev/null || true
	pids=
	pages=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(
		'SELECT count(*) FROM pages WHERE status = 200').fetchone()[0])" "$tmp/db-$n")
	python3 - "$tmp/result-$n.json" "$pages" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
pages = int(sys.argv[2])
print(pages, r["wall_s"], r["user_s"] + r["sys_s"], r["coord_hwm_kb"], r.get("other_cpu_s", 0))
EOF
}

echo "big.sh: $SITES sites x $SMALL pages, then $SITES x $BIG (test servers, $WORKERS workers)" >&2
small=$(run "$SMALL")
big=$(run "$BIG")
python3 - "$small" "$big" "$SITES" "$SMALL" "$BIG" <<'EOF'
import sys
rows = []
for label, line, per in (("small", sys.argv[1], sys.argv[4]), ("big", sys.argv[2], sys.argv[5])):
    pages, wall, cpu, hwm, other = line.split()
    pages, wall, cpu, hwm, other = int(pages), float(wall), float(cpu), int(hwm), float(other)
    rows.append((f"{sys.argv[3]} x {per}", pages, pages / wall, cpu * 1000 / max(pages, 1),
                 hwm / 1024, other / wall * 100))
print("| crawl | pages | pages/s | CPU ms/page | coordinator peak RSS | others' CPU % (test servers too) |")
print("|---|---|---|---|---|---|")
for name, pages, rate, cpu, mib, other in rows:
    print(f"| {name} | {pages:,} | {rate:,.0f} | {cpu:.3f} | {mib:.1f} MiB | {other:.0f} |")
print(f"\nbig / small pages/s: {rows[1][2] / rows[0][2]:.2f}; "
      f"coordinator peak {rows[1][4]:.1f} MiB ({rows[1][4] * 1048576 / 1e6:.1f} MB)")
EOF
