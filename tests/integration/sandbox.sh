# sandbox.sh: workers run in a seccomp sandbox, as an unprivileged user, with limits.
#
# A live worker's /proc status shows the filter (Seccomp: 2), no_new_privs, the user
# nobody (when the test runs as root) and its limits.  A worker made to try something
# forbidden after set-up (SCRAPER_TEST_SANDBOX: open the database for writing, exec,
# a unix socket, ptrace, fork) is killed, and the URL it held fails after three
# workers with a reason that names the sandbox; opening a file for reading is refused
# and the worker goes on.  Crawls still work over DNS names (/etc/hosts), and pages in
# encodings whose converters the worker loaded before the filter are decoded.  The CA
# bundle is mapped from its file (page cache pages every worker shares), not copied.
. "$top_srcdir/tests/lib.sh"

plan 30

printf '/held* gate=%s\n' "$T/gate" >"$T/routes"
printf '/sjis file=%s type=text/html;charset=shift_jis\n' "$T/sjis.html" >>"$T/routes"
# "日本語のページ" in Shift_JIS, as a title.
printf '<html><head><title>\223\372\226\173\214\352\202\314\203\171\201\133\203\127</title></head><body><p>x</p></body></html>' >"$T/sjis.html"
start_server S --gen 20 --routes "$T/routes" --log "$T/s.log"

mkdir -p "$T/rules"
cat >"$T/rules/site.yaml" <<EOF
site: ["127.0.0.1", "localhost"]
robots: ignore
delay: 0
retries: 0
timeout: 10
items:
  page:
    fields:
      title: "css: title::text"
EOF

nobody_uid=$(id -u nobody 2>/dev/null || echo 65534)

# ---- a live worker: /proc/PID/status and limits ----
echo "http://127.0.0.1:$S/held/1" >"$T/urls-held"
printf -- '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n' >"$T/ca.pem"
"$SCRAPER" crawl -c "$T/rules" -d "$T/held.db" --ca-file "$T/ca.pem" "$T/urls-held" 2>"$T/held.err" &
crawl=$!
wait_for_paths "$T/s.log" /held 1 $crawl
worker=$(pgrep -x -P $crawl scraper-worker | head -1)
cat "/proc/$worker/status" >"$T/worker-status" 2>/dev/null
cat "/proc/$worker/limits" >"$T/worker-limits" 2>/dev/null
cat "/proc/$worker/maps" >"$T/worker-maps" 2>/dev/null
echo open >"$T/gate"
wait $crawl
is "$?" 0 "held: the crawl finishes once the gate opens"
diag "a live worker's /proc/$worker/status:" "$(grep -E '^(Name|State|Uid|Gid|Groups|NoNewPrivs|Seccomp|Seccomp_filters|VmSize|VmRSS|CapEff|CapBnd):' "$T/worker-status")"
diag "and its /proc/$worker/limits:" "$(cat "$T/worker-limits")"
is "$(awk '/^Seccomp:/ { print $2 }' "$T/worker-status")" 2 "held: the worker runs under a seccomp filter (Seccomp: 2)"
is "$(awk '/^NoNewPrivs:/ { print $2 }' "$T/worker-status")" 1 "held: with no_new_privs"
if [ "$(id -u)" = 0 ]; then
	is "$(awk '/^Uid:/ { print $2 ":" $3 ":" $4 }' "$T/worker-status")" "$nobody_uid:$nobody_uid:$nobody_uid" \
	   "held: started as root, the worker runs as nobody"
	is "$(awk '/^CapEff:/ { print $2 }' "$T/worker-status")" 0000000000000000 "held: with no capabilities"
else
	ok "# SKIP not root: no user switch"
	ok "# SKIP not root: no capabilities to drop"
fi
like "$(grep '^Max core file size' "$T/worker-limits")" "[[:space:]]0[[:space:]]+0[[:space:]]" "held: no core files"
like "$(grep '^Max open files' "$T/worker-limits")" "[[:space:]][0-9]{2,3}[[:space:]]+[0-9]{2,3}[[:space:]]" "held: a few descriptors only"
if grep -q '^#define SCRAPER_SANITIZERS' "$top_builddir/config.h" 2>/dev/null; then
	ok "# SKIP sanitizer build: no address-space limit"
else
	like "$(grep '^Max address space' "$T/worker-limits")" "[[:space:]][0-9]+[[:space:]]+[0-9]+[[:space:]]+bytes" \
	     "held: an address-space limit"
fi
is "$(sql "$T/held.db" "SELECT status FROM pages")" 200 "held: the page is stored"
is "$(grep -c " r--p .*$T/ca.pem\$" "$T/worker-maps")" 1 "held: the CA bundle is mapped read-only from its file, not copied"

# ---- forbidden actions kill the worker; the URL fails naming the sandbox ----
echo "http://127.0.0.1:$S/gen/1.html" >"$T/urls-one"
for what in open exec connect ptrace fork; do
	SCRAPER_TEST_SANDBOX="$what:$T/$what.db" run "$SCRAPER" crawl -c "$T/rules" -d "$T/$what.db" "$T/urls-one"
	like "$(sql "$T/$what.db" "SELECT state || ': ' || error FROM frontier")" \
	     "^failed: worker crashed 3 times with this URL in flight \(last: killed by the sandbox" \
	     "$what: the worker is killed by the sandbox; the URL fails saying so"
	like "$err" "killed by the sandbox: system call [0-9]+ not allowed" "$what: the worker's log names the system call"
done
is "$(sql "$T/open.db" "PRAGMA integrity_check")" ok "open: the database the worker tried to open is intact"

# Reading a file is refused (EACCES), not fatal: the worker goes on.  (Sanitizer
# builds let it read: LeakSanitizer reads /proc/self at exit.)
SCRAPER_TEST_SANDBOX="read:/etc/hosts" run "$SCRAPER" crawl -c "$T/rules" -d "$T/read.db" "$T/urls-one"
if grep -q '^#define SCRAPER_SANITIZERS' "$top_builddir/config.h" 2>/dev/null; then
	ok "# SKIP sanitizer build: reading is allowed"
else
	like "$err" "open for reading Permission denied" "read: opening a file for reading is refused"
fi
is "$(sql "$T/read.db" "SELECT state FROM frontier")" done "read: and the worker goes on"

# ---- DNS names and encodings after the filter ----
names="localhost"
other=$(awk '$1 == "127.0.0.1" { for (i = 2; i <= NF; i++) if ($i != "localhost") { print $i; exit } }' /etc/hosts)
if [ -n "$other" ]; then
	names="$names $other"
	printf 'site: "%s"\nrobots: ignore\ndelay: 0\nretries: 0\n' "$other" >"$T/rules/other.yaml"
fi
: >"$T/urls-dns"
for n in $names; do
	echo "http://$n:$S/gen/2.html" >>"$T/urls-dns"
done
run "$SCRAPER" crawl -vv -c "$T/rules" -d "$T/dns.db" "$T/urls-dns"
is "$status" 0 "dns: the crawl exits 0"
like "$err" "looked up localhost:$S: localhost:$S:" \
     "dns: the coordinator looks the name up and hands the workers the addresses"
is "$(sql "$T/dns.db" "SELECT count(*) FROM pages WHERE status = 200")" "$(echo $names | wc -w)" \
   "dns: pages by host name are fetched ($names)"
[ -n "$other" ] || diag "no other name for 127.0.0.1 in /etc/hosts: only localhost tried"

echo "http://nosuchhost.invalid/" >"$T/urls-nx"
run "$SCRAPER" crawl -c "$T/rules" -d "$T/nx.db" "$T/urls-nx"
like "$(sql "$T/nx.db" "SELECT state || ': ' || error FROM frontier")" "^failed: Could not resolve host: nosuchhost.invalid" \
     "dns: a name that does not resolve fails in words, the worker alive"

echo "http://127.0.0.1:$S/sjis" >"$T/urls-sjis"
run "$SCRAPER" crawl -c "$T/rules" -d "$T/sjis.db" "$T/urls-sjis"
is "$(sql "$T/sjis.db" "SELECT json_extract(data, '$.title') FROM items")" "日本語のページ" \
   "charset: a Shift_JIS page is decoded inside the sandbox"

# ---- the user ----
run "$SCRAPER" crawl --user no-such-user-here -c "$T/rules" -d "$T/user.db" "$T/urls-one"
if [ "$(id -u)" = 0 ]; then
	is "$status:$(echo "$err" | grep -c "no user 'no-such-user-here'")" 2:1 "--user with an unknown user: exit 2, saying so"
	run "$SCRAPER" crawl --user root -c "$T/rules" -d "$T/user.db" "$T/urls-one"
	is "$status:$(echo "$err" | grep -c "is root")" 2:1 "--user root is refused"
else
	ok "# SKIP not root"
	ok "# SKIP not root"
fi

done_testing
