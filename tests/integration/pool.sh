#!/bin/sh
# pool.sh: the pool of warm workers.  A worker whose site is finished is told NEXT,
# tears the site down, says READY and is given the next waiting site (no new process);
# with no site waiting it gets STOP and exits.  30 sites with --workers 2: two worker
# processes for the whole crawl, every page stored once.  A worker killed mid-site is
# never reused: its site gets a fresh one and completes.  One site crawls as before.
. "$top_srcdir/tests/lib.sh"

plan 16

gen_rules "$T/rules"

# ---- 30 sites (30 test servers of 10 pages), two workers ----
NS=30
: >"$T/urls"
i=1
while [ $i -le $NS ]; do
	start_server P --gen 10 --log "$T/s$i.log"
	echo "http://127.0.0.1:$P/gen/0.html" >>"$T/urls"
	i=$((i + 1))
done
run "$SCRAPER" crawl -vv --workers 2 -c "$T/rules" -d "$T/db" "$T/urls"
is "$status" 0 "30 sites, --workers 2: the crawl exits 0"
started=$(printf '%s\n' "$err" | grep -c "started worker" || true)
check "30 sites: at most 2 worker processes started ($started)" [ "$started" -ge 1 ] && [ "$started" -le 2 ]
takes=$(printf '%s\n' "$err" | grep -c "worker [0-9]* takes " || true)
check "30 sites: warm workers took the other sites ($takes)" [ "$takes" -ge $((NS - 2)) ]
is "$(sql "$T/db" "SELECT count(*), count(DISTINCT url), sum(status = 200) FROM pages")" \
   "300|300|300" "30 sites: 300 pages stored, each once"
dups=0
reqs=0
i=1
while [ $i -le $NS ]; do
	dups=$((dups + $(dup_paths "$T/s$i.log")))
	reqs=$((reqs + $(count_paths "$T/s$i.log" /gen/)))
	i=$((i + 1))
done
is "$reqs:$dups" "300:0" "30 sites: every page requested once"
is "$(sql "$T/db" "SELECT count(*), sum(cpu_ms >= 0) FROM site_usage")" "30|30" \
   "30 sites: each site is charged its own CPU (site_usage)"
printf '%s\n' "$err" >"$T/pool.err"
bad=$(grep -E "lost|killed|protocol error|warning|error" "$T/pool.err" | head -n 3)
is "$bad" "" "30 sites: no worker lost, no warning"

# ---- a worker killed mid-site: a fresh worker for its site, never the dead one ----
printf '/gen/* gate=%s\n' "$T/gate" >"$T/routes"
echo 3 >"$T/gate"
start_server G --gen 10 --routes "$T/routes" --log "$T/g.log"
: >"$T/urls-kill"
i=1
while [ $i -le 3 ]; do
	start_server P --gen 10 --log "$T/k$i.log"
	echo "http://127.0.0.1:$P/gen/0.html" >>"$T/urls-kill"
	i=$((i + 1))
done
echo "http://127.0.0.1:$G/gen/0.html" >>"$T/urls-kill"
"$SCRAPER" crawl -vv --workers 2 -c "$T/rules" -d "$T/kill.db" "$T/urls-kill" 2>"$T/kill.err" &
crawl=$!
wait_for_paths "$T/g.log" /gen/ 4 $crawl
# The worker that has the gated site now: the last line that gave it one.
victim=$(grep -E "(started worker [0-9]+ for|worker [0-9]+ takes) 127.0.0.1:$G " "$T/kill.err" |
	tail -n 1 | sed -E 's/.*(started worker|worker) ([0-9]+).*/\2/')
check "killed: the gated site's worker is known ($victim)" [ -n "$victim" ]
[ -n "$victim" ] && kill -9 "$victim"
sleep 0.3
echo open >"$T/gate"
wait $crawl
is "$?" 0 "killed: the crawl exits 0"
cat "$T/kill.err" >>"$T/stderr.all"
is "$(sql "$T/kill.db" "SELECT count(*), count(DISTINCT url), sum(status = 200) FROM pages")" \
   "40|40|40" "killed: every page of the four sites is stored, once"
check "killed: the dead worker is never given a site again" \
	sh -c "! sed -n '/killed by signal 9/,\$p' \"\$1\" | grep -q \"worker \$2 takes\"" _ "$T/kill.err" "$victim"
after=$(sed -n '/killed by signal 9/,$p' "$T/kill.err" |
	grep -E "(started worker [0-9]+ for|worker [0-9]+ takes) 127.0.0.1:$G " |
	sed -E 's/.*(started worker|worker) ([0-9]+).*/\2/' | head -n 1)
check "killed: its site got another worker ($after, not $victim)" [ -n "$after" ] && [ "$after" != "$victim" ]

# ---- one worker, sites with different rule files: regexes without JIT, each
# site's own limits, inside the sandbox ----
mkdir -p "$T/rules2"
start_server X --gen 10 --log "$T/x.log"
start_server Y --gen 10 --log "$T/y.log"
for p in "$X:64:2" "$Y:96:3"; do
	port=${p%%:*}
	rest=${p#*:}
	cat >"$T/rules2/s$port.yaml" <<EOR
site: "127.0.0.1:$port"
concurrency: ${rest#*:}
max_memory_mb: ${rest%%:*}
delay: 0
retries: 0
timeout: 10
follow:
  - css: "a::attr(href)"
    allow: '/gen/[0-9]+\.html$'
items:
  gen:
    match: '/gen/[0-9]+\.html$'
    fields:
      name: { css: "h1.name::text", required: true, re: '([A-Za-z0-9 ]+)' }
EOR
done
printf 'http://127.0.0.1:%s/gen/0.html\nhttp://127.0.0.1:%s/gen/0.html\n' "$X" "$Y" >"$T/urls-two"
run "$SCRAPER" crawl -vv --workers 1 -c "$T/rules2" -d "$T/two.db" "$T/urls-two"
is "$status:$(printf '%s\n' "$err" | grep -c 'started worker'):$(printf '%s\n' "$err" | grep -c 'worker [0-9]* takes')" \
   "0:1:1" "two rule files, --workers 1: one worker takes the second site"
is "$(sql "$T/two.db" "SELECT count(*), count(DISTINCT url), sum(status = 200) FROM pages"):$(sql "$T/two.db" "SELECT count(*) FROM items")" \
   "20|20|20:20" "two rule files: every page and item of both sites stored"

# ---- one site: as before ----
start_server O --gen 20 --log "$T/o.log"
echo "http://127.0.0.1:$O/gen/0.html" >"$T/urls-one"
run "$SCRAPER" crawl -vv --workers 1 -c "$T/rules" -d "$T/one.db" "$T/urls-one"
is "$status" 0 "one site: the crawl exits 0"
is "$(sql "$T/one.db" "SELECT count(*), count(DISTINCT url) FROM pages"):$(printf '%s\n' "$err" | grep -c 'started worker')" \
   "20|20:1" "one site: 20 pages stored once, by one worker"

done_testing
