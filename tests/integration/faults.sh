# faults.sh: fault injection as SQLite's own tests do it, on a real crawl of 300 pages
# against the test server, at points chosen by a seeded generator (the seed is printed;
# FAULTS_SEED=N replays a run):
#   (a) a full disk: the database on a small tmpfs (in a private mount namespace:
#       unshare -m as root, unshare -Urm otherwise), sized to fill at a random point;
#   (b) a failing write: tests/faultshim.so (LD_PRELOAD) makes the N-th write/pwrite
#       or fsync/fdatasync to the database's files fail with EIO or ENOSPC;
#   (c) a crash while committing: the same shim kills the crawl with SIGKILL at its
#       N-th write to the database's files.
# After each: integrity_check is ok; nothing is half stored (every done page has its
# item, items only for stored pages, pages only for settled frontier rows, no item
# twice); (a) and (b) exit 1 with a message naming the database; and the same crawl
# run again with room (and no fault) finishes it with every product exactly once.
. "$top_srcdir/tests/lib.sh"

SEED=${FAULTS_SEED:-$(( ($(date +%s) ^ $$) % 100000 ))}
N_FULL=4
N_WRITE=6
N_KILL=4
plan $(( (N_FULL + N_WRITE) * 4 + N_KILL * 3 + 1 ))
echo "# seed $SEED (FAULTS_SEED=$SEED replays this run)"

SHIM="$top_builddir/tests/faultshim.so"
# A sanitized scraper checks that its runtime comes first; the shim comes first here.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
export ASAN_OPTIONS

start_server S --gen 300 --gen-bytes 4000 --log "$T/s.log"
echo "http://127.0.0.1:$S/gen/0.html" >"$T/urls"
gen_rules "$T/rules"
cat >>"$T/rules/gen.yaml" <<'YAML'
      body: { css: "body", type: html }
YAML

# randoms STREAM COUNT LO HI: COUNT numbers from LO to HI, the seed's (each STREAM
# its own).
randoms() {
	awk -v seed="$SEED" -v s="$1" -v n="$2" -v lo="$3" -v hi="$4" \
		'BEGIN { srand(seed * 7 + s); for (i = 0; i < n; i++) print lo + int(rand() * (hi - lo + 1)) }'
}

# consistent DB WHAT: integrity_check, and nothing half stored.
consistent() {
	_got=$(sql "$1" "PRAGMA integrity_check" 2>&1)
	_want="0 done without item, 0 done without page, 0 items without page, 0 pages unsettled, 0 items twice"
	if [ "$(sql "$1" "SELECT count(*) FROM sqlite_schema WHERE name = 'frontier'")" = 0 ]; then
		_bad=$_want # it failed before it made its tables: nothing stored at all
	else
		_bad=$(sql "$1" "SELECT
	  (SELECT count(*) FROM frontier f WHERE f.state = 'done'
	     AND NOT EXISTS (SELECT 1 FROM items i WHERE i.url = f.url)) || ' done without item, ' ||
	  (SELECT count(*) FROM frontier f WHERE f.state = 'done'
	     AND NOT EXISTS (SELECT 1 FROM pages p WHERE p.url = f.url)) || ' done without page, ' ||
	  (SELECT count(*) FROM items i
	     WHERE NOT EXISTS (SELECT 1 FROM pages p WHERE p.url = i.url)) || ' items without page, ' ||
	  (SELECT count(*) FROM pages p WHERE NOT EXISTS (SELECT 1 FROM frontier f
	     WHERE f.url = p.url AND f.state IN ('done', 'failed', 'skipped'))) || ' pages unsettled, ' ||
	  (SELECT count(*) - count(DISTINCT url) FROM items) || ' items twice'" 2>&1)
	fi
	if [ "$_got" = ok ] && [ "$_bad" = "$_want" ]; then
		ok "$2: integrity_check ok, nothing half stored"
	else
		not_ok "$2: integrity_check ok, nothing half stored"
		diag "integrity_check: $_got" "$_bad"
	fi
}

# complete DB WHAT: every product exactly once.
complete() {
	is "$(sql "$1" "SELECT count(*), count(DISTINCT url), (SELECT count(DISTINCT url) FROM pages WHERE status = 200) FROM items")" \
	   "300|300|300" "$2: run again with room, it finishes: every product exactly once"
}

# failed STATUS ERR WHAT: exit 1 and a message that names the database.
failed() {
	if [ "$1" = 1 ] && printf '%s' "$2" | grep -Eq "f\.db: .*(full|disk)"; then
		ok "$3: exit 1, the message names the database"
	else
		not_ok "$3: exit 1, the message names the database"
		diag "exit $1" "$2"
	fi
}

# ---- (a) a full disk: a tmpfs that fills at a random point ----
if [ "$(id -u)" = 0 ]; then
	ns="unshare -m"
	self=
else
	ns="unshare -Urm"
	# Inside, map ourselves back: as "root" the crawl would switch its workers to
	# nobody, whom this namespace does not have.
	self="unshare --map-user=$(id -u) --map-group=$(id -g)"
fi
mkdir -p "$T/mnt"
cat >"$T/full.sh" <<'SH'
# full.sh MNT OUT KB SCRAPER RULES URLS SELF...: a crawl on a tmpfs of KB KiB, then
# the same crawl again on room enough; what each left is copied to OUT.
mnt=$1 out=$2 kb=$3 scraper=$4 rules=$5 urls=$6
shift 6
mount -t tmpfs -o size="${kb}k" tmpfs "$mnt" || exit 77
"$@" "$scraper" crawl -q -c "$rules" -d "$mnt/f.db" "$urls" >/dev/null 2>"$out/err"
echo $? >"$out/status"
cp "$mnt/f.db" "$out/f.db" 2>/dev/null
[ -e "$mnt/f.db-wal" ] && cp "$mnt/f.db-wal" "$out/f.db-wal"
mount -o remount,size=256m "$mnt" || exit 77
"$@" "$scraper" crawl -q -c "$rules" -d "$mnt/f.db" "$urls" >/dev/null 2>"$out/err2"
echo $? >"$out/status2"
cp "$mnt/f.db" "$out/final.db"
SH
# The whole crawl's database is about 3 MB, with its WAL up to 4 MB more.
for kb in $(randoms 1 $N_FULL 200 3000); do
	o="$T/full-$kb"
	mkdir -p "$o"
	timeout 300 $ns sh "$T/full.sh" "$T/mnt" "$o" "$kb" "$SCRAPER" "$T/rules" "$T/urls" $self 2>"$o/ns.err"
	rc=$?
	if [ "$rc" = 77 ] || [ ! -e "$o/status" ]; then
		for d in "exit 1" "consistent" "resumed" "once"; do
			ok "full disk at $kb KiB: $d # SKIP cannot mount a tmpfs here ($(head -n 1 "$o/ns.err"))"
		done
		continue
	fi
	cat "$o/err" "$o/err2" >>"$T/stderr.all"
	if [ "$(cat "$o/status")" = 0 ]; then
		# Room enough after all (a run that stored less): not a failure to check.
		ok "full disk at $kb KiB: exit 1 # SKIP the crawl fitted"
	else
		failed "$(cat "$o/status")" "$(cat "$o/err")" "full disk at $kb KiB"
	fi
	if [ -e "$o/f.db" ]; then
		consistent "$o/f.db" "full disk at $kb KiB"
	else
		ok "full disk at $kb KiB: consistent # SKIP the database could not even be made"
	fi
	is "$(cat "$o/status2")" 0 "full disk at $kb KiB: the crawl run again with room exits 0"
	complete "$o/final.db" "full disk at $kb KiB"
done

# ---- (b) a failing write or fsync, and (c) a kill while committing ----
# How many writes and fsyncs a whole crawl makes to the database's files.
rm -f "$T/count.db"*
run env LD_PRELOAD="$SHIM" FAULT_FILE="$T/count.db" FAULT_AT=0 FAULT_COUNT="$T/count" \
	"$SCRAPER" crawl -q -c "$T/rules" -d "$T/count.db" "$T/urls"
run env LD_PRELOAD="$SHIM" FAULT_FILE="$T/count.db" FAULT_AT=0 FAULT_CALLS=fsync FAULT_COUNT="$T/fcount" \
	"$SCRAPER" crawl -q -c "$T/rules" -d "$T/count.db" --fresh "$T/urls"
writes=$(cat "$T/count" 2>/dev/null || echo 0)
syncs=$(cat "$T/fcount" 2>/dev/null || echo 0)
if [ "$writes" -gt 10 ]; then
	ok "the shim counts the database's writes ($writes, $syncs fsyncs)"
else
	not_ok "the shim counts the database's writes ($writes, $syncs fsyncs)"
fi
[ "$syncs" -ge 1 ] || syncs=1
# Points inside the run (a run's count varies with its batches, more so under the
# sanitizers: stay in the first two thirds).
points=$(randoms 2 $((N_WRITE - 2)) 1 $((writes * 2 / 3)))
fpoints=$(randoms 3 2 1 "$syncs")
errs=$(randoms 4 $N_WRITE 0 1)
i=0
for n in $points fsync:${fpoints%%
*} fsync:${fpoints##*
}; do
	i=$((i + 1))
	e=$(echo "$errs" | sed -n "${i}p")
	[ "$e" = 1 ] && e=ENOSPC || e=EIO
	case $n in
	fsync:*) calls=fsync n=${n#fsync:} what="fsync $n ($e)" ;;
	*) calls=write what="write $n ($e)" ;;
	esac
	db="$T/w$i/f.db"
	mkdir -p "$T/w$i"
	# A run that made fewer calls than the point (its batches were larger than the
	# counting run's) is run again from scratch at two thirds of its own count.
	for try in 1 2 3; do
		rm -f "$db" "$db-wal" "$db-shm" "$T/w$i/log" "$T/w$i/count"
		run env LD_PRELOAD="$SHIM" FAULT_FILE="$db" FAULT_AT="$n" FAULT_ERRNO="$e" \
			FAULT_CALLS="$calls" FAULT_LOG="$T/w$i/log" FAULT_COUNT="$T/w$i/count" \
			"$SCRAPER" crawl -q -c "$T/rules" -d "$db" "$T/urls"
		hit=$(cat "$T/w$i/log" 2>/dev/null)
		[ "$status" = 0 ] && [ -z "$hit" ] || break
		made=$(cat "$T/w$i/count" 2>/dev/null || echo 0)
		[ "$made" -ge 3 ] || break
		n=$((made * 2 / 3))
		case $what in
		fsync*) what="fsync $n ($e)" ;;
		*) what="write $n ($e)" ;;
		esac
	done
	case $status:$hit in
	0:)	# The crawl made fewer calls than the point: nothing failed.
		ok "failing $what: exit 1 # SKIP the run made fewer calls" ;;
	0:*" db" | 0:"fsync "*)
		# A checkpoint's (copying the WAL into the database file; with
		# synchronous=NORMAL the WAL is synced only before one): what it copies
		# is committed in the WAL already, and SQLite copies it again later.
		ok "failing $what: the call was a checkpoint's, which is done again later: exit 0" ;;
	*)	failed "$status" "$err" "failing $what ($hit)" ;;
	esac
	consistent "$db" "failing $what"
	run "$SCRAPER" crawl -q -c "$T/rules" -d "$db" "$T/urls"
	is "$status" 0 "failing $what: the crawl run again exits 0"
	complete "$db" "failing $what"
done

i=0
for n in $(randoms 5 $N_KILL 1 $((writes * 2 / 3))); do
	i=$((i + 1))
	db="$T/k$i/f.db"
	mkdir -p "$T/k$i"
	run env LD_PRELOAD="$SHIM" FAULT_FILE="$db" FAULT_AT="$n" FAULT_ERRNO=kill \
		"$SCRAPER" crawl -q -c "$T/rules" -d "$db" "$T/urls"
	# Its workers see their channel close and exit; the next crawl takes the lock.
	consistent "$db" "killed at write $n (exit $status)"
	RUN_TIMEOUT=120 run "$SCRAPER" crawl -q -c "$T/rules" -d "$db" "$T/urls"
	is "$status" 0 "killed at write $n: the crawl run again exits 0"
	complete "$db" "killed at write $n"
done

done_testing
