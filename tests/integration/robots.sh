# robots.sh: the RFC 9309 case table (tests/fixtures/robots/cases.txt, also run by the
# unit test) through the real crawl.  For every case a server serves exactly that
# robots.txt (line ends, BOM, status, redirects as the case says); for every expected
# allow/disallow the crawl is asked for that one URL, and the test checks the server's
# log (requested or not) and the pages table (fetched, or status NULL with an error
# that names robots.txt).
. "$top_srcdir/tests/lib.sh"

CASES="$top_srcdir/tests/fixtures/robots/cases.txt"
mkdir -p "$T/cases"
# Split the table: one folder per case with its agent, settings, body and expectations.
awk -v dir="$T/cases" '
	/^== case / { n++; d = dir "/" n; system("mkdir -p " d); print substr($0, 9) > (d "/name"); next }
	inbody && $0 == "==" { inbody = 0; close(d "/body"); next }
	inbody { print > (d "/body"); next }
	/^robots:$/ { inbody = 1; printf "" > (d "/body"); next }
	/^(agent|status|redirects|eol|bom|final-eol): / {
		k = $0; sub(/:.*/, "", k); v = $0; sub(/^[^:]*: /, "", v); print v > (d "/" k); next }
	/^(allow|disallow) / { print > (d "/expect"); next }
' "$CASES"

plan "$(cat "$T"/cases/*/expect | wc -l)"

setting() { [ -f "$1/$2" ] && cat "$1/$2" || echo "$3"; }

for c in $(ls "$T/cases" | sort -n); do
	d="$T/cases/$c"
	name=$(cat "$d/name")
	mkdir -p "$d/root"
	# The robots.txt bytes, as served.
	case $(setting "$d" eol lf) in
	crlf) sed 's/$/\r/' "$d/body" ;;
	cr) tr '\n' '\r' <"$d/body" ;;
	*) cat "$d/body" ;;
	esac >"$d/robots"
	if [ "$(setting "$d" final-eol yes)" = no ]; then
		size=$(wc -c <"$d/robots")
		head -c $((size - $([ "$(setting "$d" eol lf)" = crlf ] && echo 2 || echo 1))) "$d/robots" >"$d/r2"
		mv "$d/r2" "$d/robots"
	fi
	{ [ "$(setting "$d" bom no)" = yes ] && printf '\357\273\277'; cat "$d/robots"; } >"$d/root/robots.txt"
	status=$(setting "$d" status 200)
	redirects=$(setting "$d" redirects 0)
	{
		if [ "$status" = 0 ]; then
			echo "/robots.txt reset"
		elif [ "$redirects" -gt 0 ]; then
			echo "/robots.txt status=301 location=/moved-1.txt"
			k=1
			while [ $k -lt "$redirects" ]; do
				echo "/moved-$k.txt status=302 location=/moved-$((k + 1)).txt"
				k=$((k + 1))
			done
			echo "/moved-$redirects.txt file=robots.txt type=text/plain"
		else
			echo "/robots.txt status=$status file=robots.txt type=text/plain"
		fi
		echo '/* body="<html><body>ok</body></html>"'
	} >"$d/routes"
	start_server P --root "$d/root" --routes "$d/routes" --log "$d/log"
	mkdir -p "$d/rules"
	printf 'site: "127.0.0.1"\nuser_agent: "%s"\nretries: 0\ndelay: 0\ntimeout: 5\n' \
		"$(cat "$d/agent")" >"$d/rules/r.yaml"
	i=0
	while read -r verdict path; do
		i=$((i + 1))
		: >"$d/log"
		echo "http://127.0.0.1:$P$path" >"$d/urls"
		"$SCRAPER" crawl -q -c "$d/rules" -d "$d/db.$i" "$d/urls" 2>"$d/err.$i"
		# Requests for the page itself (robots.txt and its redirects excluded, except
		# when the page is robots.txt).
		if [ "$path" = /robots.txt ]; then
			asked=$(($(count_paths "$d/log" /robots.txt) - 1))
		else
			asked=$(cut -f5 "$d/log" | grep -cv -e '^/robots.txt$' -e '^/moved-' || true)
		fi
		row=$(sql "$d/db.$i" "SELECT coalesce(status, 'NULL') || ' ' || coalesce(error, '') FROM pages")
		if [ "$verdict" = allow ]; then
			# Requested and answered (robots.txt itself may answer 5xx).
			[ "$asked" = 1 ] && [ "${row%% *}" != NULL ]
		else
			[ "$asked" = 0 ] && printf '%s' "$row" | grep -q '^NULL .*robots\.txt'
		fi
		if [ $? -eq 0 ]; then
			ok "$name: $verdict $path"
		else
			not_ok "$name: $verdict $path"
			diag "requested $asked times; pages row: $row" "$(cat "$d/err.$i")"
		fi
	done <"$d/expect"
	kill "$P_PID"
done

done_testing
