# serve-dashboard.sh: the dashboard in a real browser.  Headless Chromium loads it
# while a job runs, its scripts poll the API, and the DOM they leave is checked:
# project and job rows, live progress numbers, the per-site table, the log tail, the
# chart.  A screenshot is kept for a person to look at (KEEP_TMP=1).  Skipped when
# chromium is not installed.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/fixtures/serve/lib.sh"

CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)}
if [ -z "$CHROMIUM" ]; then
	echo "1..0 # SKIP chromium is not installed"
	exit 0
fi
plan 12

# chromium URL [options...]: headless, no network but loopback, a fresh profile each
# time (so no token is remembered from the last run).
_profiles=0
chromium() {
	_url=$1
	shift
	_profiles=$((_profiles + 1))
	timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--disable-dev-shm-usage --user-data-dir="$T/profile.$_profiles" --virtual-time-budget=5000 \
		"$@" "$_url" 2>>"$T/chromium.log"
}

printf '/gen/* delay=400\n' >"$T/routes"
start_server S --gen 200 --routes "$T/routes"
gen_rules "$T/rules"
echo "dashboard-token" >"$T/token"
TOKEN=dashboard-token
start_serve --token-file "$T/token"
put_project shop "$T/rules" "http://127.0.0.1:$S/gen/0.html" "'schedule', '0 3 * * *'"
put_project books "$T/rules" "http://127.0.0.1:$S/gen/1.html"
api POST /api/v1/projects/books/jobs
OLD=$(jget "$body" '$.id')
api POST "/api/v1/jobs/$OLD/cancel"
api POST /api/v1/projects/shop/jobs
JOB=$(jget "$body" '$.id')
wait_job "$JOB" running
job_done() { api GET "/api/v1/jobs/$1"; jget "$body" '$.progress.done'; }
wait_until 60 'test "$(job_done "$JOB")" -ge 8'

URL="http://127.0.0.1:$PORT/#token=$TOKEN"
chromium "$URL" --dump-dom >"$T/dom.html"
dom=$(cat "$T/dom.html")
like "$dom" 'data-project="shop"' "the project list has the project"
like "$dom" 'data-project="books"' "... and the other one"
like "$dom" "<tr class=\"job-row selected\" data-job=\"$JOB\" data-state=\"running\">" \
     "the running job's row is there, selected"
like "$dom" "data-job=\"$OLD\" data-state=\"cancelled\"" "the cancelled job's row too"
done_cell=$(tr -d '\n' <"$T/dom.html" | sed -e "s/.*data-job=\"$JOB\"//" -e 's|</tr>.*||' |
	sed -n 's/.*<td class="num job-done">\([0-9,]*\)<.*/\1/p' | tr -d ,)
check "the job row shows pages done ($done_cell)" test "${done_cell:-0}" -ge 8
big=$(sed -n 's/.*<div class="v" id="job-done">\([0-9,]*\)<.*/\1/p' "$T/dom.html" | tr -d ,)
check "the job panel shows pages done ($big)" test "${big:-0}" -ge 8
like "$dom" "<td title=\"127.0.0.1:$S\">127.0.0.1:$S</td>" "the per-site table has the site"
like "$dom" "job $JOB of project shop, run 1: scraper crawl" "the log tail is shown"
like "$dom" '<span class="sched">0 3 \* \* \*</span>' "the schedule is shown"
like "$dom" 'id="conn" class="conn ok">live<' "the page says it is live"
chromium "http://127.0.0.1:$PORT/" --dump-dom >"$T/dom-noauth.html"
like "$(cat "$T/dom-noauth.html")" '<div id="auth" class="auth">' "without a token it asks for one"

chromium "$URL" --screenshot="$T/dashboard.png" --window-size=1366,900 >/dev/null
check "a screenshot was taken" test -s "$T/dashboard.png"
[ -z "${SCREENSHOT:-}" ] || cp "$T/dashboard.png" "$SCREENSHOT"

api POST "/api/v1/jobs/$JOB/cancel"
wait_job "$JOB" cancelled finished failed
stop_serve TERM
done_testing
