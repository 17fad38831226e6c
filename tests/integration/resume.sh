# resume.sh: crash-safe resume.  The coordinator is killed with SIGKILL at several
# moments and the crawl run again each time; then stopped by SIGINT and resumed; and a
# worker is killed under a running crawl.  Every page and item ends up stored exactly
# once, nothing committed is ever fetched again, and the database stays sound.
. "$top_srcdir/tests/lib.sh"

KILLS="7 15 20 25 30"   # pages answered per run before its kill: 97 of 150 pages
plan $((2 * 5 + 7 + 5 + 4))

# Every page waits at the gate: the test lets a given number through, sees the next
# request arrive (held), and only then kills.  No timing luck: however loaded the
# machine, the crawl cannot finish before the kill.
N=150
printf '/gen/* gate=%s\n' "$T/gate" >"$T/routes"
start_server S --gen $N --routes "$T/routes" --log "$T/s.log"

# The gate counts every /gen/ request since the server started; the log may be
# emptied between parts of the test, so what it held before is kept in gate_base.
gate_base=0
new_log() {
	gate_base=$((gate_base + $(count_paths "$T/s.log" /gen/)))
	: >"$T/s.log"
}

# let_through N PID: open the gate for N more pages than have arrived so far, and
# wait until the request after them arrives (and is held), or PID exits.
let_through() {
	_seen=$(count_paths "$T/s.log" /gen/)
	echo $((gate_base + _seen + $1)) >"$T/gate"
	wait_for_paths "$T/s.log" /gen/ $((_seen + $1 + 1)) "$2"
}
BASE="http://127.0.0.1:$S"
echo "$BASE/gen/0.html" >"$T/urls"
gen_rules "$T/rules"

i=0
for k in $KILLS; do
	i=$((i + 1))
	"$SCRAPER" crawl -q -c "$T/rules" -d "$T/db" "$T/urls" 2>>"$T/err" &
	crawl=$!
	let_through "$k" $crawl
	workers=$(pgrep -P $crawl | tr '\n' ' ')
	kill -KILL $crawl
	wait $crawl 2>/dev/null
	# Orphaned workers see their channel close and exit at once.
	late=0
	for w in $workers; do
		wait_exit "$w" 2 || late=$((late + 1))
	done
	is "$late" 0 "kill $i: every worker exits within 2 s of its coordinator's death"
	is "$(sql "$T/db" "PRAGMA integrity_check")" ok "kill $i: integrity_check ok"
	# What is committed now must never be requested again.
	sql "$T/db" "SELECT substr(url, length('$BASE') + 1) FROM pages WHERE status = 200" >"$T/committed.$i"
	wc -l <"$T/s.log" >"$T/mark.$i"
done

echo open >"$T/gate"
run "$SCRAPER" crawl -c "$T/rules" -d "$T/db" "$T/urls"
is "$status" 0 "the last run finishes the crawl"
like "$err" "resuming the crawl" "it says it is resuming"
is "$(sql "$T/db" "SELECT count(*), count(DISTINCT url), sum(status = 200) FROM pages")" "$N|$N|$N" \
   "every page stored exactly once"
is "$(sql "$T/db" "SELECT count(*), count(DISTINCT url) FROM gen")" "$N|$N" "every item stored exactly once"
is "$(sql "$T/db" "SELECT count(*) FROM frontier WHERE state <> 'done'")" 0 "nothing left queued or in flight"
is "$(sql "$T/db" "PRAGMA integrity_check")" ok "integrity_check ok at the end"
again=0
for j in $(seq 1 $i); do
	tail -n +$(($(cat "$T/mark.$j") + 1)) "$T/s.log" | cut -f5 >"$T/later"
	again=$((again + $(grep -cFxf "$T/committed.$j" "$T/later" || true)))
done
is "$again" 0 "no page committed before a kill is requested again"
diag "$(count_paths "$T/s.log" /gen/) requests for $N pages over $((i + 1)) runs (re-fetched: only what was in flight at a kill)"

# SIGINT: finish what is in flight, commit, exit 130; the same command resumes.
new_log
"$SCRAPER" crawl -c "$T/rules" -d "$T/db2" "$T/urls" 2>"$T/err2" &
crawl=$!
let_through 30 $crawl
kill -INT $crawl
echo open >"$T/gate" # what is in flight may finish now
wait $crawl
is "$?" 130 "SIGINT: exit status 130"
like "$(cat "$T/err2")" "run the same command again to resume" "SIGINT: the summary says how to resume"
is "$(sql "$T/db2" "SELECT count(*) FROM frontier WHERE state = 'inflight'")" 0 \
   "SIGINT: nothing left marked in flight"
run "$SCRAPER" crawl -q -c "$T/rules" -d "$T/db2" "$T/urls"
is "$status:$(sql "$T/db2" "SELECT count(*) FROM pages WHERE status = 200")" "0:$N" "SIGINT: the resumed crawl finishes"
is "$(dup_paths "$T/s.log")" 0 "SIGINT: no page fetched twice across the stop"

# A worker killed by someone else: its URLs go back to the queue, a new worker takes
# over, and the crawl completes.
new_log
"$SCRAPER" crawl -c "$T/rules" -d "$T/db3" "$T/urls" 2>"$T/err3" &
crawl=$!
let_through 40 $crawl
kill -KILL $(pgrep -P $crawl)
echo open >"$T/gate"
wait $crawl
is "$?" 0 "killed worker: the crawl still exits 0"
like "$(cat "$T/err3")" "killed by signal 9" "killed worker: its death is logged with the cause"
is "$(sql "$T/db3" "SELECT count(*), count(DISTINCT url), sum(status = 200) FROM pages")" "$N|$N|$N" \
   "killed worker: every page stored once"
is "$(sql "$T/db3" "SELECT count(*) FROM gen")" "$N" "killed worker: every item stored once"

done_testing
