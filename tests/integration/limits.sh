# limits.sh: --max-depth, --max-pages and the rule file's max_pages.
. "$top_srcdir/tests/lib.sh"

plan 12

N=50
start_server S --gen $N --log "$T/s.log"
echo "http://127.0.0.1:$S/gen/0.html" >"$T/urls"

# The pages within D hops of page 0, by breadth-first search over the generator's
# links: page i links to (i+1)%N, (i*7+3)%N, 0, i and (i+2)%N.
reachable() {
	awk -v N=$N -v D="$1" 'BEGIN {
		depth[0] = 0; q[0] = 0; h = 0; t = 1
		while (h < t) {
			i = q[h++]
			if (depth[i] >= D) continue
			split(((i + 1) % N) " " ((i * 7 + 3) % N) " 0 " i " " ((i + 2) % N), l, " ")
			for (k = 1; k <= 5; k++)
				if (!(l[k] in depth)) { depth[l[k]] = depth[i] + 1; q[t++] = l[k] }
		}
		for (p in depth) print p, depth[p]
	}' | sort -n
}

# One request at a time, so pages are fetched in breadth-first order and each URL is
# first seen by its shortest path.
gen_rules "$T/rules1" "max_depth: 20"
sed -i 's/^concurrency: 4/concurrency: 1/' "$T/rules1/gen.yaml"
run "$SCRAPER" crawl -q -c "$T/rules1" -d "$T/depth.db" --max-depth 2 "$T/urls"
is "$status" 0 "--max-depth 2: the crawl exits 0"
sql "$T/depth.db" "SELECT CAST(substr(url, instr(url, '/gen/') + 5) AS INTEGER), depth FROM frontier" |
	tr '|' ' ' | sort -n >"$T/got-depth"
reachable 2 >"$T/want-depth"
if diff "$T/want-depth" "$T/got-depth" >/dev/null; then
	ok "--max-depth 2: exactly the pages within 2 hops, each at its depth ($(wc -l <"$T/want-depth") pages)"
else
	not_ok "--max-depth 2: exactly the pages within 2 hops, each at its depth"
	diag "$(diff "$T/want-depth" "$T/got-depth" | head -20)"
fi
is "$(count_paths "$T/s.log" /gen/)" "$(wc -l <"$T/want-depth")" "--max-depth 2: only those pages are requested"
is "$(sql "$T/depth.db" "SELECT max(depth) FROM pages")" 2 "--max-depth 2: no page deeper than 2"

# --max-pages: exactly that many pages, the rest settled as skipped.
: >"$T/s.log"
gen_rules "$T/rules"
run "$SCRAPER" crawl -q -c "$T/rules" -d "$T/pages.db" --max-pages 10 "$T/urls"
is "$status" 0 "--max-pages 10: the crawl exits 0"
is "$(count_paths "$T/s.log" /gen/)" 10 "--max-pages 10: ten pages requested"
is "$(sql "$T/pages.db" "SELECT count(*) FROM pages WHERE status = 200")" 10 "--max-pages 10: ten pages stored"
is "$(sql "$T/pages.db" "SELECT count(*) FROM frontier WHERE state IN ('queued', 'inflight')")" 0 \
   "--max-pages 10: nothing left queued"
is "$(sql "$T/pages.db" "SELECT count(*) FROM frontier WHERE state = 'skipped' AND error LIKE '%page limit%'
                          AND url IN (SELECT url FROM pages WHERE status IS NULL AND error LIKE '%page limit%')")" \
   "$(sql "$T/pages.db" "SELECT count(*) FROM frontier WHERE state <> 'done'")" \
   "--max-pages 10: every URL not fetched is skipped, with a page row that says why"

# A later run with a larger limit takes the skipped URLs up again.
: >"$T/s.log"
run "$SCRAPER" crawl -q -c "$T/rules" -d "$T/pages.db" --max-pages 25 "$T/urls"
is "$status:$(count_paths "$T/s.log" /gen/):$(dup_paths "$T/s.log")" "0:15:0" \
   "--max-pages 25 on the same database fetches 15 more, none again"

# The rule file's max_pages caps its site.
: >"$T/s.log"
gen_rules "$T/rules5" "max_pages: 5"
run "$SCRAPER" crawl -q -c "$T/rules5" -d "$T/site.db" "$T/urls"
is "$status:$(count_paths "$T/s.log" /gen/)" "0:5" "max_pages: 5 in the rule file: five pages"
is "$(sql "$T/site.db" "SELECT count(*) FROM frontier WHERE state = 'queued'")" 0 "max_pages: nothing left queued"

done_testing
