# tests/lib.sh: sourced by every integration test (tests/integration/*.sh).
#
# Gives each test a private temporary folder ($T), TAP output helpers, the paths of the
# binaries under test, and start_server, which starts the loopback test web server on
# port 0 and waits for the port it reports (no sleeps).  Everything started here is
# killed and $T removed when the test exits.

set -u

: "${top_builddir:?run through make check}"
: "${top_srcdir:?run through make check}"

SCRAPER="$top_builddir/scraper/scraper"
TESTSERVER="$top_builddir/tests/testserver"
FIXTURES="$top_srcdir/tests/fixtures"
SQLITE3="${SQLITE3:-sqlite3}"
[ -n "$SQLITE3" ] || SQLITE3=sqlite3

T=$(mktemp -d "${TMPDIR:-/tmp}/scraper-test.XXXXXX") || exit 99
_pids=""
_n=0
_failed=0

_cleanup() {
	for p in $_pids; do
		kill "$p" 2>/dev/null
	done
	for p in $_pids; do
		wait "$p" 2>/dev/null
	done
	if [ "$_failed" -eq 0 ] || [ -z "${KEEP_TMP:-}" ]; then
		rm -rf "$T"
	else
		echo "# kept $T"
	fi
}
trap _cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

plan() { echo "1..$1"; }

ok() {
	_n=$((_n + 1))
	echo "ok $_n - $1"
}

not_ok() {
	_n=$((_n + 1))
	_failed=$((_failed + 1))
	echo "not ok $_n - $1"
}

diag() { printf '%s\n' "$@" | sed 's/^/# /'; }

# check DESCRIPTION COMMAND...: ok when the command succeeds.
check() {
	_d=$1
	shift
	if "$@"; then ok "$_d"; else not_ok "$_d"; fi
}

# is GOT WANT DESCRIPTION
is() {
	if [ "$1" = "$2" ]; then
		ok "$3"
	else
		not_ok "$3"
		diag "got:  '$1'" "want: '$2'"
	fi
}

# like GOT REGEX DESCRIPTION (extended regex)
like() {
	if printf '%s' "$1" | grep -Eq -- "$2"; then
		ok "$3"
	else
		not_ok "$3"
		diag "got:  '$1'" "want match: '$2'"
	fi
}

# run_status COMMAND...: run it with a time limit; sets $status, $out, $err.
run() {
	timeout "${RUN_TIMEOUT:-60}" "$@" >"$T/out" 2>"$T/err"
	status=$?
	out=$(cat "$T/out")
	err=$(cat "$T/err")
	cat "$T/err" >>"$T/stderr.all" # for done_testing's sanitizer check
}

# sql DB STATEMENT: one query through the sqlite3 shell, list mode.
sql() {
	"$SQLITE3" -batch -noheader "$1" "$2"
}

# start_server VAR [testserver args...]: start a test server on 127.0.0.1 port 0;
# sets VAR to its port and VAR_PID to its pid.  Waits for the port line, not a timer.
start_server() {
	_var=$1
	shift
	_fifo="$T/.port.$_var"
	mkfifo "$_fifo" || exit 99
	"$TESTSERVER" "$@" >"$_fifo" 2>>"$T/server-$_var.log" &
	_spid=$!
	_pids="$_pids $_spid"
	_port=
	read -r _port <"$_fifo"
	rm -f "$_fifo"
	case "$_port" in
	[0-9]*) ;;
	*) echo "Bail out! test server did not start: $(cat "$T/server-$_var.log")"; exit 99 ;;
	esac
	eval "$_var=\$_port; ${_var}_PID=\$_spid"
}

# done_testing: exit status for the TAP driver (it reads the plan and the lines).
# A sanitizer report from any process of the test (the crawl's workers included, whose
# exit status only reaches the coordinator's log) fails the test: every stderr the
# test kept is under $T.
done_testing() {
	_reports=$(grep -rlaE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$T" 2>/dev/null | head -3)
	if [ -n "$_reports" ]; then
		for _f in $_reports; do
			diag "sanitizer report in $(basename "$_f"):" "$(grep -aE -m3 -A6 'Sanitizer|runtime error:' "$_f")"
		done
		echo "Bail out! sanitizer report in $(echo $_reports | tr ' ' ',')"
		return 1
	fi
	[ "$_failed" -eq 0 ]
}

# wait_for_requests LOG N PID: block until the server LOG has N requests, or PID (the
# crawl) has exited.  Event-driven: tail follows the log into a read loop that stops
# at the Nth line; tail is then killed.  (Not a pipeline: the shell would wait for
# tail, which only notices on its next write, never while the server holds its
# requests.  Not grep -m or awk: they read a pipe in blocks and sit on the lines.)
wait_for_requests() {
	_wait_lines "$1" "$2" "$3" ''
}

# wait_for_paths LOG PREFIX N PID: the same, counting only requests whose path starts
# with PREFIX.
wait_for_paths() {
	_wait_lines "$1" "$3" "$4" "$2"
}

_wait_lines() {
	_fifo="$T/.wait.$$"
	rm -f "$_fifo"
	mkfifo "$_fifo" || exit 99
	timeout "${RUN_TIMEOUT:-60}" tail -n +1 -s 0.05 --pid="$3" -f "$1" >"$_fifo" 2>/dev/null &
	_tail=$!
	_got=0
	_tab=$(printf '\t')
	while [ "$_got" -lt "$2" ] && IFS="$_tab" read -r _f1 _f2 _f3 _f4 _path _rest; do
		case $_path in
		"$4"*) _got=$((_got + 1)) ;;
		esac
	done <"$_fifo"
	kill "$_tail" 2>/dev/null
	wait "$_tail" 2>/dev/null
	rm -f "$_fifo"
}

# workers_of PID: how many worker processes the crawl PID has now (its zygote, which
# forks them, is not one).
workers_of() {
	pgrep -c -x -P "$1" scraper-worker 2>/dev/null || true
}

# gen_rules DIR [extra YAML lines...]: a rule file for the test server's --gen pages:
# every link followed, one item per page.
gen_rules() {
	_dir=$1
	shift
	mkdir -p "$_dir"
	{
		echo 'site: "127.0.0.1"'
		echo 'concurrency: 4'
		echo 'delay: 0'
		echo 'retries: 0'
		echo 'timeout: 10'
		for _line in "$@"; do
			echo "$_line"
		done
		echo 'follow:'
		echo '  - "css: a::attr(href)"'
		echo 'items:'
		echo '  gen:'
		echo '    fields:'
		echo '      name: { css: "h1.name::text", required: true }'
		echo '      price: { css: "span.price::text", type: number }'
	} >"$_dir/gen.yaml"
}

# count_paths LOG PREFIX: requests in LOG whose path starts with PREFIX.
count_paths() {
	cut -f5 "$1" | grep -c "^$2" || true
}

# dup_paths LOG: paths requested more than once.
dup_paths() {
	cut -f5 "$1" | sort | uniq -d | wc -l
}

# exited PID: has the process ended (gone, or a zombie nobody has reaped yet: orphans
# are reaped by init, on its own schedule)?
exited() {
	[ ! -e "/proc/$1/stat" ] || [ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" = Z ]
}

# wait_exit PID SECONDS: wait until PID has ended; false if it has not within SECONDS.
wait_exit() {
	_deadline=$(($(date +%s%N) + $2 * 1000000000))
	until exited "$1"; do
		[ "$(date +%s%N)" -lt "$_deadline" ] || return 1
		sleep 0.02
	done
}
