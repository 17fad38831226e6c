# badworker.sh: workers that break the protocol or crash.  Each is dropped and logged,
# the URLs it held are charged and retried, a URL that kills three workers fails with
# the reason, a site whose workers keep dying is given up, and the other site's crawl
# is not disturbed.
. "$top_srcdir/tests/lib.sh"

MODES="garbage huge badtype short wrongid crash"
plan $((5 * 6 + 2))

start_server GOOD --gen 40 --log "$T/good.log"
start_server BAD --gen 40 --log "$T/bad.log"
gen_rules "$T/rules"
printf 'http://127.0.0.1:%s/gen/0.html\nhttp://127.0.0.1:%s/gen/0.html\n' "$GOOD" "$BAD" >"$T/urls"

for mode in $MODES; do
	: >"$T/good.log"
	SCRAPER_WORKER_EXEC="$top_builddir/tests/fakeworker" FAKE_WORKER_MODE=$mode \
	FAKE_WORKER_SITE="127.0.0.1:$BAD" FAKE_WORKER_REAL="$SCRAPER" \
		run "$SCRAPER" crawl -c "$T/rules" -d "$T/$mode.db" "$T/urls"
	is "$status" 0 "$mode: the crawl still finishes"
	is "$(count_paths "$T/good.log" /gen/):$(sql "$T/$mode.db" "SELECT count(*) FROM gen WHERE site = '127.0.0.1:$GOOD'")" \
	   "40:40" "$mode: the other site is crawled completely"
	like "$(sql "$T/$mode.db" "SELECT state || ': ' || error FROM frontier WHERE url = 'http://127.0.0.1:$BAD/gen/0.html'")" \
	     "^failed: worker crashed 3 times with this URL in flight" "$mode: the URL that broke 3 workers failed, saying so"
	is "$(sql "$T/$mode.db" "SELECT count(*) FROM frontier WHERE state IN ('queued', 'inflight')")" 0 \
	   "$mode: nothing left queued"
	case $mode in
	crash) like "$err" "killed by signal 6" "$mode: the worker's death is logged with its cause" ;;
	*) like "$err" "protocol error from the worker for 127.0.0.1:$BAD" "$mode: the protocol error is logged" ;;
	esac
done

# A worker that never answers does not hang the crawl when it is told to stop: here
# the coordinator is stopped by SIGTERM and kills it after the grace period.
: >"$T/good.log"
SCRAPER_WORKER_EXEC="$top_builddir/tests/fakeworker" FAKE_WORKER_MODE=hang \
FAKE_WORKER_SITE="127.0.0.1:$BAD" FAKE_WORKER_REAL="$SCRAPER" \
	"$SCRAPER" crawl -c "$T/rules" -d "$T/hang.db" "$T/urls" 2>"$T/hang.err" &
crawl=$!
wait_for_requests "$T/good.log" 1 $crawl
kill -TERM $crawl
wait $crawl
is "$?" 143 "hang: SIGTERM stops the crawl (exit 143) although a worker never answers"
like "$(cat "$T/hang.err")" "did not stop in .* killing it" "hang: the stuck worker is killed after the grace period"

done_testing
