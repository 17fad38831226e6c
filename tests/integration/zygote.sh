# zygote.sh: workers are forked by the crawl's zygote, not exec'd.
#
# The zygote ("scraper --zygote", named scraper-zygote) prepares a worker once and
# forks one per request through a go-between, so each worker is the coordinator's own
# child (a subreaper): never exec'd (its command line is the zygote's), sandboxed as an
# exec'd one, reaped and charged by the coordinator.  A zygote that dies mid-crawl is
# reaped and replaced by exec: the crawl finishes.  SCRAPER_NO_ZYGOTE=1 execs every
# worker.  The zygote ends with its crawl, and when its coordinator is killed.
. "$top_srcdir/tests/lib.sh"

plan 17

printf '/held* gate=%s\n' "$T/gate" >"$T/routes"
start_server S --gen 20 --routes "$T/routes" --log "$T/s.log"
mkdir -p "$T/rules"
cat >"$T/rules/site.yaml" <<EOF
site: "127.0.0.1"
robots: ignore
delay: 0
retries: 0
timeout: 30
items:
  page:
    fields:
      title: "css: title::text"
EOF
echo "http://127.0.0.1:$S/held/1" >"$T/urls"
# (--workers 1: one worker, which a site on every core would not be)

# cmdline PID: the process's command line, arguments separated by spaces.
cmdline() {
	tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null
}

# held NAME: start a crawl into $T/NAME.db whose one URL the server holds (the gate
# shut); sets crawl, and its zygote and worker once the request is in.
held() {
	rm -f "$T/gate"
	: >"$T/s.log"
	"$SCRAPER" crawl --workers 1 -c "$T/rules" -d "$T/$1.db" "$T/urls" 2>"$T/$1.err" &
	crawl=$!
	wait_for_paths "$T/s.log" /held 1 $crawl
	zygote=$(pgrep -x -P $crawl scraper-zygote | head -1)
	worker=$(pgrep -x -P $crawl scraper-worker | head -1)
}

# ---- a held crawl: the worker is a fork of the zygote, the crawl's child ----
held a
check "held: the crawl has a zygote ($zygote)" [ -n "$zygote" ]
check "held: and a worker, its own child ($worker)" [ -n "$worker" ]
like "$(cmdline "$worker")" "--zygote" "held: the worker was forked by the zygote, not exec'd"
is "$(awk '/^Seccomp:/ { print $2 }' "/proc/$worker/status" 2>/dev/null)" 2 \
   "held: the forked worker runs under the seccomp filter"
is "$(awk '/^Seccomp:/ { print $2 }' "/proc/$zygote/status" 2>/dev/null)" 0 \
   "held: the zygote, which reads no page, forks before any filter"
echo open >"$T/gate"
wait $crawl
is "$?" 0 "held: the crawl exits 0"
is "$(sql "$T/a.db" "SELECT status FROM pages")" 200 "held: the page is stored"
check "held: the zygote ends with the crawl" wait_exit "$zygote" 2
is "$(sql "$T/a.db" "SELECT workers || ':' || (peak_rss_kb > 0) FROM site_usage")" 1:1 \
   "held: the forked worker is charged to its site (the coordinator reaped it: wait4's rusage)"

# ---- the zygote dies mid-crawl: reaped, and the next worker is exec'd ----
held b
kill -KILL "$zygote"
wait_exit "$zygote" 5
# The URL's worker dies too: the coordinator needs a new one, and has no zygote.
kill -KILL "$worker"
wait_for_paths "$T/s.log" /held 2 $crawl
worker2=$(pgrep -x -P $crawl scraper-worker | head -1)
like "$(cmdline "$worker2")" "--worker 127.0.0.1:$S" "zygote killed: the next worker is exec'd"
echo open >"$T/gate"
wait $crawl
is "$?" 0 "zygote killed: the crawl exits 0"
like "$(cat "$T/b.err")" "workers are exec'd from now on" "zygote killed: the log says so"
is "$(sql "$T/b.db" "SELECT status FROM pages")" 200 "zygote killed: the page is stored"

# ---- SCRAPER_NO_ZYGOTE=1: no zygote, every worker exec'd ----
rm -f "$T/gate"
: >"$T/s.log"
SCRAPER_NO_ZYGOTE=1 "$SCRAPER" crawl --workers 1 -c "$T/rules" -d "$T/c.db" "$T/urls" 2>"$T/c.err" &
crawl=$!
wait_for_paths "$T/s.log" /held 1 $crawl
is "$(pgrep -c -x -P $crawl scraper-zygote)" 0 "no zygote: none started"
like "$(cmdline "$(pgrep -x -P $crawl scraper-worker | head -1)")" "--worker 127.0.0.1:$S" \
     "no zygote: the worker is exec'd"
echo open >"$T/gate"
wait $crawl
is "$?" 0 "no zygote: the crawl exits 0"

# ---- the coordinator killed: the zygote sees its socket close and exits ----
held d
kill -KILL $crawl
wait $crawl 2>/dev/null
check "coordinator killed: its zygote exits within 2 s" wait_exit "$zygote" 2
echo open >"$T/gate"
