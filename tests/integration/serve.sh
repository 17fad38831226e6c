# serve.sh: `scraper serve` over HTTP on port 0: the token, bodies, names and paths
# refused, projects, jobs (run, one per project, queued in order, cancel queued and
# running), query and items, a crashed job, kill -9 and SIGTERM of the service mid-job
# with exactly-once results after the restart, schedules (their due time moved in
# service.db, never waited for), metrics (format checked), webhooks with retries.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/fixtures/serve/lib.sh"

plan 134

N=40
start_server FAST --gen $N --log "$T/fast.log"
printf '/gen/* delay=700\n' >"$T/slow.routes"
start_server SLOW --gen 60 --routes "$T/slow.routes" --log "$T/slow.log"
mkfifo "$T/hook.port"
"$top_builddir/tests/fixtures/serve/hookd" --status 500,503,204 --log "$T/hook.log" \
	--body "$T/hook.body" >"$T/hook.port" &
_pids="$_pids $!"
read -r HOOK <"$T/hook.port"
gen_rules "$T/rules"
FAST_URL="http://127.0.0.1:$FAST/gen/0.html"

# Counts, looked at afresh by each wait_until turn.
pages_of() { sql "$DATA/projects/$1/scraped.db" "SELECT count(*) FROM pages" 2>/dev/null || echo 0; }
scheduled_jobs() { svcdb "SELECT count(*) FROM jobs WHERE project = '$1' AND trigger = 'schedule'"; }
events_of() { svcdb "SELECT count(*) FROM events WHERE project = '$1' AND kind = '$2'"; }
SLOW_URL="http://127.0.0.1:$SLOW/gen/0.html"

# ---- start-up ----
run "$SCRAPER" serve -D "$T/x" --listen 0.0.0.0:0
is "$status" 2 "no token: a non-loopback address is refused (exit 2)"
like "$err" "refusing to listen on 0.0.0.0:0 without a token" "... and says why"
run "$SCRAPER" serve -D "$T/x" --max-jobs 0
is "$status" 2 "--max-jobs 0 is a usage error"
printf '\n' >"$T/empty.token"
run "$SCRAPER" serve -D "$T/x" --token-file "$T/empty.token"
is "$status" 2 "an empty token file is refused"

echo "s3cr3t-token" >"$T/token"
start_serve --token-file "$T/token" --max-jobs 1
like "$(cat "$SERVE_LOG")" "listening on http://127.0.0.1:[0-9]+" "prints the port it bound"
run "$SCRAPER" serve -D "$DATA" --listen 127.0.0.1:0
is "$status" 1 "a second service on the same data folder is refused"

# ---- the token ----
api GET /api/v1/status
is "$code" 401 "no token: 401"
TOKEN=wrong
api GET /api/v1/status
is "$code" 401 "a wrong token: 401"
TOKEN=s3cr3t-token-and-more
api GET /metrics
is "$code" 401 "a token with the right start: 401 (metrics too)"
TOKEN=s3cr3t-token
api GET /api/v1/status
is "$code" 200 "the token: 200"
is "$(jget "$body" '$.jobs.queued'):$(jget "$body" '$.version')" "0:$("$SCRAPER" --version | cut -d' ' -f2)" \
   "status: job counts and version"
code=$(curl -s -o "$T/dash" -w '%{http_code} %{content_type}' "http://127.0.0.1:$PORT/")
is "$code" "200 text/html; charset=utf-8" "the dashboard page needs no token (it holds no data)"

# ---- paths and methods ----
api GET /api/v1/nothing
is "$code" 404 "an unknown path: 404"
api DELETE /api/v1/status
is "$code" 405 "a wrong method: 405"
allow=$(curl -s -D - -o /dev/null -X POST -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/api/v1/jobs" |
	tr -d '\r' | sed -n 's/^Allow: //Ip')
is "$allow" "GET, HEAD" "405 says what is allowed"
api GET /api/v1/jobs/12345
is "$code" 404 "an unknown job: 404"
api GET /api/v1/jobs/abc
is "$code" 404 "a job id that is not a number: 404"

# ---- bad bodies and names ----
api PUT /api/v1/projects/shop --data-binary '{"seeds": ["http://x/"'
is "$code:$(jget "$body" '$.error' | cut -c1-12)" "400:invalid JSON" "invalid JSON: 400"
api PUT /api/v1/projects/shop --data-binary '{"seeds": ["http://x/"], "schedual": "* * * * *"}'
is "$code:$(jget "$body" '$.error')" '400:unknown field "schedual"' "an unknown field: 400 naming it"
api PUT /api/v1/projects/shop --data-binary '{"seeds": ["http://x/"], "options": {"workers": "many"}}'
is "$code:$(jget "$body" '$.error')" "400:options.workers must be an integer, not a string" "a wrong type: 400 naming the field"
api PUT /api/v1/projects/shop --data-binary '{"seeds": "http://x/"}'
is "$code" 400 "seeds as a string: 400"
head -c 10485760 /dev/zero | tr '\0' ' ' >"$T/big"
api PUT /api/v1/projects/shop --data-binary @"$T/big"
is "$code" 413 "a 10 MB body: 413"
api PUT /api/v1/projects/shop --data-binary @"$T/big" -H "Transfer-Encoding: chunked"
is "$code" 413 "a 10 MB chunked body: 413"
api PUT /api/v1/projects/shop --data-binary '{"seeds": ["http://x/"], "schedule": "61 * * * *"}'
is "$code" 400 "a broken cron expression: 400"
like "$(jget "$body" '$.error')" "^schedule: minute.*61" "... with the parser's message"
api PUT /api/v1/projects/shop --data-binary '{"seeds": ["http://x/"], "rules": {"../evil.yaml": "site: x\n"}}'
is "$code" 400 "a rule file name with ../: 400"
api PUT /api/v1/projects/shop --data-binary '{"seeds": ["http://x/"], "rules": {"sub/x.yaml": "site: x\n"}}'
is "$code" 400 "a rule file name with /: 400"
is "$(find "$T" -name evil.yaml | wc -l)" 0 "... and no file was written"
for bad in '..' '%2e%2e' '%2E%2E%2Fetc' 'a%2Fb' 'Shop' '.hidden' "$(printf 'x%.0s' $(seq 65))"; do
	api PUT "/api/v1/projects/$bad" --path-as-is --data-binary '{"seeds": ["http://x/"]}'
	case $code in 400|404) ok "project name '$bad' refused ($code)" ;; *) not_ok "project name '$bad': $code" ;; esac
done
api GET "/api/v1/projects/../../service.db" --path-as-is
like "$code" "^40[04]$" "a traversal in a GET path: refused"
is "$(ls "$DATA/projects" | wc -l)" 0 "nothing was created under projects/"

# Broken rules: every error, with file, line and column, as `scraper check` gives them.
mkdir -p "$T/badrules"
printf 'site: "127.0.0.1"\nconcurrency: 4\nfollw:\n  - "css: a::attr(href)"\n' >"$T/badrules/a.yaml"
printf 'site: other\nitems:\n  x:\n    fields:\n      y: "css: p[["\n' >"$T/badrules/b.yaml"
put_project shop "$T/badrules" "$FAST_URL"
is "$code" 400 "broken rule files: 400"
is "$(jget "$body" '$.errors[0].file'):$(jget "$body" '$.errors[0].line'):$(jget "$body" '$.errors[0].col')" \
   "a.yaml:3:1" "... the first error's file, line and column"
is "$(jget "$body" '$.errors[1].file'):$(jget "$body" '$.errors[1].line')" "b.yaml:5" \
   "... and the other file's error too"
"$SCRAPER" check -c "$T/badrules" >"$T/check.out" 2>&1
is "$(grep -c ':[0-9]*:[0-9]*:' "$T/check.out")" "$("$SQLITE3" -noheader :memory: "SELECT json_array_length(CAST(readfile('$T/body') AS TEXT), '\$.errors')")" \
   "... as many errors as scraper check lists"
api GET /api/v1/projects/shop
is "$code" 404 "a refused PUT creates nothing"

# ---- a project and a job ----
put_project shop "$T/rules" "$FAST_URL"
is "$code" 201 "PUT a new project: 201"
put_project shop "$T/rules" "$FAST_URL" "'options', json_object('workers', 2)"
is "$code" 200 "PUT it again: 200 (replaced)"
api GET /api/v1/projects/shop
is "$code:$(jget "$body" '$.seeds[0]'):$(jget "$body" '$.options.workers')" "200:$FAST_URL:2" \
   "GET it: seeds and options back"
is "$(jget "$body" '$.rules."gen.yaml"')" "$(cat "$T/rules/gen.yaml")" "... and its rule file, as sent"
api GET /api/v1/projects
is "$(jget "$body" '$.projects[0].name')" shop "the list has it"
api GET /api/v1/projects/nope
is "$code" 404 "an unknown project: 404"
api POST /api/v1/projects/nope/jobs
is "$code" 404 "a job of an unknown project: 404"
api POST /api/v1/projects/shop/jobs --data-binary '{"recrawl": "yes"}'
is "$code" 400 "a job body with a wrong type: 400"
api POST /api/v1/projects/shop/jobs --data-binary '{"resume": true}'
is "$code" 400 "a job body with an unknown field: 400"

api POST /api/v1/projects/shop/jobs
is "$code:$(jget "$body" '$.state')" "201:queued" "POST a job: 201, queued"
JOB1=$(jget "$body" '$.id')
wait_job "$JOB1" finished failed
is "$state" finished "the job finishes"
api GET "/api/v1/jobs/$JOB1"
is "$(jget "$body" '$.exit_status'):$(jget "$body" '$.runs')" "0:1" "exit status 0, one run"
like "$(jget "$body" '$.started_at')$(jget "$body" '$.finished_at')" \
     '^[0-9-]{10}T[0-9:]{8}Z[0-9-]{10}T[0-9:]{8}Z$' "start and finish times, ISO 8601 UTC"
DB="$DATA/projects/shop/scraped.db"
is "$(sql "$DB" "SELECT count(*), count(DISTINCT url) FROM gen")" "$N|$N" "every item stored once"
is "$(jget "$body" '$.progress.done'):$(jget "$body" '$.progress.items'):$(jget "$body" '$.progress.queued')" \
   "$N:$N:0" "the job's last progress: every page done, every item"
is "$(jget "$body" '$.sites[0].site'):$(jget "$body" '$.sites[0].done')" "127.0.0.1:$FAST:$N" \
   "... its per-site table"
like "$(jget "$body" '$.history[0][0]'):$(jget "$body" '$.history[0][2]')" "^[0-9.]+:[0-9]+$" \
   "... and its pages/s history"
api GET "/api/v1/jobs/$JOB1/log"
like "$body" "job $JOB1 of project shop, run 1: scraper crawl" "the log names the command"
like "$body" "exited with status 0" "... and how it ended"
api GET "/api/v1/jobs/$JOB1/log?tail=20"
is "${#body}" 19 "?tail=N gives the last N bytes (less the newline)"
api GET "/api/v1/jobs?project=shop&state=finished"
is "$(jget "$body" '$.jobs[0].id')" "$JOB1" "jobs filtered by project and state"
api GET "/api/v1/jobs?state=done"
is "$code" 400 "an unknown state filter: 400"

# ---- query and items ----
api GET "/api/v1/projects/shop/query" -G --data-urlencode "sql=SELECT count(*) AS n FROM gen"
is "$code:$(jget "$body" '$[0].n')" "200:$N" "query, json"
api GET "/api/v1/projects/shop/query" -G --data-urlencode "sql=SELECT name FROM gen ORDER BY name LIMIT 2" \
    --data-urlencode "format=csv"
is "$(printf '%s' "$body" | tr -d '\r' | head -1)" "name" "query, csv with a header row"
is "$body" "$("$SCRAPER" query -d "$DB" -f csv "SELECT name FROM gen ORDER BY name LIMIT 2")" \
   "... exactly as scraper query prints it"
api GET "/api/v1/projects/shop/query" -G --data-urlencode "sql=SELECT url FROM pages LIMIT 3" \
    --data-urlencode "format=jsonl"
is "$(printf '%s\n' "$body" | wc -l)" 3 "query, jsonl: a line per row"
api GET "/api/v1/projects/shop/query" -G --data-urlencode "sql=DELETE FROM pages"
is "$code" 400 "a writing statement is refused: 400"
api GET "/api/v1/projects/shop/query" -G --data-urlencode "sql=WITH x AS (SELECT 1) DELETE FROM pages"
is "$code" 400 "a write behind WITH is refused too"
api GET "/api/v1/projects/shop/query" -G --data-urlencode "sql=SELECT 1; DROP TABLE pages"
is "$code" 400 "a second statement is refused"
api GET "/api/v1/projects/shop/query" -G --data-urlencode "sql=ATTACH '$T/x.db' AS x"
is "$code" 400 "ATTACH is refused"
api GET "/api/v1/projects/shop/query" -G --data-urlencode "sql=SELEC 1"
is "$code" 400 "a syntax error: 400"
is "$(sql "$DB" "SELECT count(*) FROM pages")" "$N" "the database is intact"
api GET "/api/v1/projects/shop/items/gen"
is "$code:$(printf '%s\n' "$body" | wc -l)" "200:$N" "items, jsonl: one line per item"
"$SCRAPER" export -d "$DB" -t gen >"$T/export.jsonl"
is "$body" "$(cat "$T/export.jsonl")" "... exactly what scraper export writes"
api GET "/api/v1/projects/shop/items/gen?format=csv"
is "$(printf '%s' "$body" | head -1 | tr -d '\r')" "url,name,price" "items, csv"
api GET "/api/v1/projects/shop/items/nosuch"
is "$code" 404 "items of an unknown type: 404"

# ---- one job per project; the queue; cancel ----
put_project slow "$T/rules" "$SLOW_URL"
api POST /api/v1/projects/slow/jobs
SLOW1=$(jget "$body" '$.id')
wait_job "$SLOW1" running
is "$state" running "a slow job runs"
job_done() { api GET "/api/v1/jobs/$1"; jget "$body" '$.progress.done'; }
wait_until 30 'test "$(job_done "$SLOW1")" -ge 2'
api GET "/api/v1/jobs/$SLOW1"
like "$(jget "$body" '$.progress.done'):$(jget "$body" '$.progress.sites_active')" "^[0-9]+:1$" \
     "a running job shows live progress from its --progress-fd feed"
age=$(jget "$body" '$.progress.age_s')
check "... at most 2 s old ($age s)" awk -v a="$age" 'BEGIN { exit !(a < 2) }'
api POST /api/v1/projects/slow/jobs
is "$code:$(jget "$body" '$.job')" "409:$SLOW1" "a second job of a running project: 409 naming the running one"
api DELETE /api/v1/projects/slow
is "$code" 409 "deleting a project while its job runs: 409"
api POST /api/v1/projects/shop/jobs --data-binary '{"recrawl": true}'
QUEUED=$(jget "$body" '$.id')
is "$(job_state "$QUEUED")" queued "with --max-jobs 1 the next job waits in the queue"
api POST /api/v1/projects/shop/jobs
is "$code" 409 "a second job of a project with a queued job: 409 as well"
api POST "/api/v1/jobs/$QUEUED/cancel"
is "$code:$(jget "$body" '$.state')" "200:cancelled" "cancel a queued job: dropped at once"
api GET "/api/v1/jobs/$QUEUED"
is "$(jget "$body" '$.started_at')" "" "... it never started"
api POST "/api/v1/jobs/$QUEUED/cancel"
is "$code" 409 "cancelling it again: 409"
wait_until 30 'test "$(pages_of slow)" -ge 3'
api POST "/api/v1/jobs/$SLOW1/cancel"
is "$code:$(jget "$body" '$.cancelling')" "200:1" "cancel a running job: it is stopping"
wait_job "$SLOW1" cancelled finished failed
is "$state" cancelled "... and ends cancelled"
api GET "/api/v1/jobs/$SLOW1"
is "$(jget "$body" '$.exit_status')" 143 "... having stopped as on SIGTERM (143)"
kept=$(sql "$DATA/projects/slow/scraped.db" "SELECT count(*) FROM pages WHERE status = 200")
like "$kept" "^[1-9]" "what it fetched is kept ($kept pages)"

# ---- a job that crashes ----
api POST /api/v1/projects/slow/jobs
CRASH=$(jget "$body" '$.id')
wait_job "$CRASH" running
wait_until 30 'test "$(pages_of slow)" -gt "$kept"'
api GET "/api/v1/jobs/$CRASH"
cpid=$(jget "$body" '$.pid')
kill -KILL "$cpid"
wait_job "$CRASH" failed finished cancelled
is "$state" failed "a job whose process is killed by SIGKILL: failed"
api GET "/api/v1/jobs/$CRASH"
like "$(jget "$body" '$.exit_reason')" "killed by signal 9" "... its exit reason says so"
is "$(jget "$body" '$.exit_status')" 137 "... exit status 137"
api GET /api/v1/status
is "$code" 200 "the service is still up"

# ---- kill -9 of the service mid-job; the restart resumes it ----
api POST /api/v1/projects/slow/jobs
RESUME=$(jget "$body" '$.id')
wait_job "$RESUME" running
before=$(sql "$DATA/projects/slow/scraped.db" "SELECT count(*) FROM pages")
wait_until 30 'test "$(pages_of slow)" -gt "$before"'
api GET "/api/v1/jobs/$RESUME"
old_crawl=$(jget "$body" '$.pid')
stop_serve KILL
is "$serve_status" 137 "the service is killed with SIGKILL mid-job"
is "$(svcdb "SELECT state FROM jobs WHERE id = $RESUME")" running "service.db still says running"
# Restarted at once: the old crawl may still be finishing (two coordinators must never
# share a database); the new service waits for it before it starts the job again.
start_serve --token-file "$T/token" --max-jobs 1
check "the old crawl has stopped by itself (PR_SET_PDEATHSIG)" exited "$old_crawl"
wait_job "$RESUME" running finished
like "$state" "running|finished" "after the restart the same job runs again"
api GET "/api/v1/jobs/$RESUME"
is "$(jget "$body" '$.runs')" 2 "... its second run"
WAIT_S=120 wait_job "$RESUME" finished failed
is "$state" finished "... and finishes"
is "$(sql "$DATA/projects/slow/scraped.db" "SELECT count(*), count(DISTINCT url), sum(status = 200) FROM pages")" \
   "60|60|60" "every page stored exactly once across the kills"
is "$(sql "$DATA/projects/slow/scraped.db" "SELECT count(*), count(DISTINCT url) FROM gen")" "60|60" \
   "every item stored exactly once"
is "$(sql "$DATA/projects/slow/scraped.db" "PRAGMA integrity_check")" ok "integrity_check ok"
like "$(svcdb "SELECT group_concat(kind) FROM events WHERE job = $RESUME")" "job_requeued" \
     "the restart is recorded as an event"

# ---- SIGTERM of the service: jobs stop gracefully and resume ----
api POST /api/v1/projects/slow/jobs --data-binary '{"fresh": true}'
TERMJOB=$(jget "$body" '$.id')
wait_job "$TERMJOB" running
stop_serve TERM
is "$serve_status" 0 "SIGTERM: the service exits 0"
is "$(svcdb "SELECT state || ':' || exit_status FROM jobs WHERE id = $TERMJOB")" "queued:143" \
   "... its running job stopped as on SIGTERM and is queued again"
start_serve --token-file "$T/token" --max-jobs 2
WAIT_S=120 wait_job "$TERMJOB" finished failed
is "$state" finished "... and finishes after the restart"

# ---- schedules: the due time is moved in service.db, not waited for ----
put_project shop "$T/rules" "$FAST_URL" "'schedule', '*/30 * * * *'"
api GET /api/v1/projects/shop
is "$(jget "$body" '$.schedule')" "*/30 * * * *" "a project with a schedule"
like "$(jget "$body" '$.next_run')" ':(00|30):00Z$' "... and its next run, on the half hour"
jobs_before=$(scheduled_jobs shop)
svcdb "UPDATE schedules SET next_run = CAST(strftime('%s', 'now') AS INTEGER) - 1 WHERE project = 'shop'"
wait_until 10 'test "$(scheduled_jobs shop)" -gt "$jobs_before"'
is "$(scheduled_jobs shop)" $((jobs_before + 1)) \
   "a due schedule starts one job"
SCHED=$(svcdb "SELECT max(id) FROM jobs WHERE project = 'shop'")
wait_job "$SCHED" finished failed
is "$state" finished "... which finishes"
is "$(svcdb "SELECT next_run > strftime('%s', 'now') FROM schedules WHERE project = 'shop'")" 1 \
   "... and the next run is in the future again"

put_project slow "$T/rules" "$SLOW_URL" "'schedule', '* * * * *'"
api POST /api/v1/projects/slow/jobs --data-binary '{"fresh": true}'
BUSY=$(jget "$body" '$.id')
wait_job "$BUSY" running
svcdb "UPDATE schedules SET next_run = CAST(strftime('%s', 'now') AS INTEGER) - 1 WHERE project = 'slow'"
wait_until 10 'test "$(events_of slow schedule_skipped)" -ge 1'
is "$(events_of slow schedule_skipped)" 1 \
   "a run due while the project's job runs is skipped and recorded"
is "$(svcdb "SELECT count(*) FROM jobs WHERE project = 'slow' AND state IN ('queued', 'running')")" 1 \
   "... no second job"
api GET "/api/v1/events?project=slow&limit=5"
like "$body" "schedule_skipped" "events are in the API"
api POST "/api/v1/jobs/$BUSY/cancel"
wait_job "$BUSY" cancelled

# Downtime: an hour of missed minutes starts one run, not sixty.
stop_serve TERM
svcdb "UPDATE schedules SET next_run = CAST(strftime('%s', 'now') AS INTEGER) - 3600 WHERE project = 'slow'"
sched_before=$(scheduled_jobs slow)
start_serve --token-file "$T/token" --max-jobs 2
wait_until 10 'test "$(scheduled_jobs slow)" -gt "$sched_before"'
is "$(scheduled_jobs slow)" $((sched_before + 1)) \
   "after downtime one missed run starts"
like "$(svcdb "SELECT message FROM events WHERE project = 'slow' AND kind = 'schedule_started' ORDER BY id DESC LIMIT 1")" \
     "late" "... and the event says it is late"
LATE=$(svcdb "SELECT max(id) FROM jobs WHERE project = 'slow'")
api POST "/api/v1/jobs/$LATE/cancel"
wait_job "$LATE" cancelled
put_project slow "$T/rules" "$SLOW_URL"
is "$(svcdb "SELECT count(*) FROM schedules WHERE project = 'slow'")" 0 "a PUT without schedule removes it"

# ---- metrics ----
api GET /metrics
is "$code" 200 "metrics: 200"
printf '%s\n' "$body" >"$T/metrics"
"${AWK:-awk}" -f "$top_srcdir/tests/fixtures/serve/promcheck.awk" "$T/metrics" >"$T/promcheck.out"
is "$?:$(head -3 "$T/promcheck.out")" "0:" "every line valid in the exposition format"
if command -v promtool >/dev/null 2>&1; then
	promtool check metrics <"$T/metrics" >"$T/promtool.out" 2>&1
	is "$?" 0 "promtool check metrics agrees"
else
	ok "promtool check metrics # SKIP promtool not installed"
fi
like "$body" "scraper_pages\{project=\"shop\",class=\"2xx\"\} $N" "pages by project and status class"
like "$body" "scraper_items\{project=\"shop\",type=\"gen\"\} $N" "items by project and type"
like "$body" "scraper_fetch_duration_seconds_count\{project=\"shop\"\} $N" "the fetch duration histogram"
like "$body" 'scraper_jobs\{state="finished"\} [1-9]' "jobs by state"

# ---- webhooks: retried with backoff until a 2xx ----
put_project hooked "$T/rules" "$FAST_URL" "'notify', 'http://127.0.0.1:$HOOK/hook'"
api POST /api/v1/projects/hooked/jobs
HOOKED=$(jget "$body" '$.id')
wait_job "$HOOKED" finished failed
wait_until 20 'test "$(svcdb "SELECT count(*) FROM events WHERE job = $HOOKED AND kind LIKE \"notify_%\"")" -ge 1'
is "$(cut -d' ' -f1-3 "$T/hook.log" | tr '\n' ',')" "POST /hook 500,POST /hook 503,POST /hook 204," \
   "the job's end is POSTed, retried after 500 and 503"
is "$(jget "$(cat "$T/hook.body")" '$.id'):$(jget "$(cat "$T/hook.body")" '$.state')" "$HOOKED:finished" \
   "... the body is the job record"
like "$(svcdb "SELECT message FROM events WHERE job = $HOOKED AND kind = 'notify_sent'")" "attempt 3" \
     "... and recorded as sent on the third attempt"

# ---- delete ----
api DELETE /api/v1/projects/shop
is "$code" 200 "DELETE a project"
check "... its folder is gone" test ! -e "$DATA/projects/shop"
api GET /api/v1/projects/shop
is "$code" 404 "... and it is gone from the API"

stop_serve TERM
is "$serve_status" 0 "the service stops cleanly"
done_testing
