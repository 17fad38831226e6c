# status.sh: the crawl's live status line in a real terminal (script(1) gives the crawl
# a pseudo-terminal whose width stty sets): never wider than the terminal, redrawn
# narrower on SIGWINCH, totals that carry over a resume; and off a terminal, one
# progress line every --progress-every seconds.
. "$top_srcdir/tests/lib.sh"

if ! command -v script >/dev/null 2>&1; then
	echo "1..0 # SKIP script(1) (util-linux) not installed"
	exit 0
fi

plan 19

# A slow site: 12 generated pages, one request every 0.15 s (about 2 s a crawl).
start_server S --gen 12 --log "$T/s.log"
mkdir -p "$T/cfg"
cat >"$T/cfg/gen.yaml" <<'EOF'
site: "127.0.0.1"
concurrency: 1
delay: 0.15
retries: 0
follow:
  - "css: a::attr(href)"
items:
  gen:
    fields:
      name: { css: "h1.name::text" }
EOF
echo "http://127.0.0.1:$S/gen/0.html" >"$T/urls"

# status_lines FILE: each drawing of the status line in a typescript, one per line
# (the line is redrawn after a carriage return and an erase-line).
status_lines() {
	tr '\r' '\n' <"$1" | sed 's/\x1b\[K//g' | grep -E '^[0-9]+:[0-9]{2}(, |$)'
}

# widest FILE: the longest status line in it.
widest() {
	status_lines "$1" | awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }'
}

# crawl_in_tty COLS TYPESCRIPT DB [crawl args...]: the crawl on a COLS-wide terminal.
crawl_in_tty() {
	_cols=$1 _ts=$2 _db=$3
	shift 3
	timeout 60 script -qec "stty cols $_cols; '$SCRAPER' crawl -c '$T/cfg' -d '$_db' $* '$T/urls'" /dev/null >"$_ts" 2>&1
}

# ---- 40 columns ----
crawl_in_tty 40 "$T/ts40" "$T/a.db"
is "$?" 0 "the crawl in a 40-column terminal exits 0"
n=$(status_lines "$T/ts40" | wc -l)
check "the status line was drawn (and redrawn: $n times)" [ "$n" -ge 3 ]
w=$(widest "$T/ts40")
check "never wider than 39 columns in a 40-column terminal (widest: $w)" [ "$w" -le 39 ]
like "$(status_lines "$T/ts40" | tail -1)" '^0:0[0-9], 1?[0-9] done, [0-9]+ queued$' \
     "what fits: elapsed, done, queued (whole fields, none cut in half)"
like "$(cat "$T/ts40")" "crawl finished: 12 pages" "the summary follows"

# ---- wide: every field ----
crawl_in_tty 200 "$T/ts200" "$T/b.db"
last=$(status_lines "$T/ts200" | tail -1)
like "$last" '^0:0[0-9], 1?[0-9] done, [0-9]+ queued, [0-9.]+ pages/s \(avg [0-9.]+\), [0-9]+ items?, 0 errors, [0-9.]+ k?B, [01] sites? active$' \
     "200 columns: elapsed, done, queued, recent rate beside the average, items, errors, bytes, sites"

# ---- SIGWINCH: 70 columns, then 30 while it runs ----
timeout 60 script -qec "sh -c 'stty cols 70; \"$SCRAPER\" crawl -c \"$T/cfg\" -d \"$T/c.db\" \"$T/urls\" & p=\$!; sleep 0.8; stty cols 30; wait \$p'" /dev/null >"$T/tswinch" 2>&1
w=$(widest "$T/tswinch")
check "before the resize it used the 70 columns (widest: $w)" sh -c '[ "$1" -gt 29 ] && [ "$1" -le 69 ]' _ "$w"
# The width is measured once and again only on SIGWINCH: fitting the new width shows
# the signal was handled.
w=$(status_lines "$T/tswinch" | tail -1 | awk '{ print length($0) }')
check "after the resize (SIGWINCH) it fits in 30 columns (last: $w)" [ "$w" -le 29 ]

# ---- off a terminal: a progress line every --progress-every seconds ----
run "$SCRAPER" crawl -c "$T/cfg" -d "$T/d.db" --progress-every 0.4 "$T/urls"
is "$status" 0 "off a terminal the crawl exits 0"
n=$(printf '%s\n' "$err" | grep -c '^scraper: progress: ')
check "progress lines every 0.4 s ($n in about 2 s)" [ "$n" -ge 2 ]
like "$(printf '%s\n' "$err" | grep '^scraper: progress: ' | tail -1)" \
     '^scraper: progress: 0:0[0-9], [0-9]+ done, [0-9]+ queued, [0-9.]+ pages/s \(avg [0-9.]+\), [0-9]+ items?, 0 errors, [0-9.]+ k?B, [01] sites? active$' \
     "a progress line has every field, whole"
if printf '%s' "$err" | grep -q "$(printf '\r')"; then not_ok "no carriage returns off a terminal"; else ok "no carriage returns off a terminal"; fi
run "$SCRAPER" crawl -c "$T/cfg" -d "$T/e.db" --progress-every 0 "$T/urls"
is "$(printf '%s\n' "$err" | grep -c 'progress:')" 0 "--progress-every 0: no progress lines"

# ---- totals carry over a resume ----
# Stop a crawl after a few pages (SIGTERM), then resume it on a terminal: the first
# status line already counts what the first run settled, and its items.
start_server R --gen 12 --log "$T/r.log"
echo "http://127.0.0.1:$R/gen/0.html" >"$T/urls"
"$SCRAPER" crawl -c "$T/cfg" -d "$T/r.db" --progress-every 0 "$T/urls" 2>"$T/r1.err" &
pid=$!
_pids="$_pids $pid"
wait_for_paths "$T/r.log" /gen/ 4 "$pid"
kill -TERM "$pid"
wait "$pid"
settled=$(sql "$T/r.db" "SELECT count(*) FROM frontier WHERE state IN ('done', 'failed', 'skipped')")
items=$(sql "$T/r.db" "SELECT count(*) FROM items")
check "the first run stopped part-way ($settled settled)" sh -c '[ "$1" -gt 0 ] && [ "$1" -lt 12 ]' _ "$settled"
crawl_in_tty 200 "$T/tsresume" "$T/r.db"
first=$(status_lines "$T/tsresume" | head -1)
like "$first" "^0:00, $settled done, .*, $items items?, " "resumed: the first status line counts the earlier run's $settled pages and $items items"
last=$(status_lines "$T/tsresume" | tail -1 | sed 's/^[0-9:]*, \([0-9]*\) done.*/\1/')
check "and counts on from there ($settled, then $last)" [ "$last" -gt "$settled" ]
like "$(cat "$T/tsresume")" "crawl finished: $((12 - settled)) pages?" "while the summary counts this run's pages"

# ---- broken input ----
run "$SCRAPER" crawl -c "$T/cfg" -d "$T/f.db" --progress-every soon "$T/urls"
is "$status" 2 "--progress-every soon exits 2"
like "$err" "--progress-every wants seconds from 0 \(never\) to 604800, not 'soon'" "and says what it wants"

done_testing
