# badinput.sh: responses that used to be stored as if nothing were wrong.
#
#   - a 302 without a Location header: failed, saying so (was: a plain 302, no error);
#   - a 100 KB Location: failed as too long (was: "not http(s)");
#   - a header line over curl's 100 KB limit: failed in those words, no status (was:
#     a 200 with the error "Out of memory");
#   - a head cut right after its status line: failed, no status (was: an empty 200,
#     which a --recrawl would have taken as the page with no items);
#   - a status line curl reads as status -1116077171 ("HTTP/2222222222221.1 302"):
#     failed, no status (was: stored with no status and no error; found by fuzz_headers).
. "$top_srcdir/tests/lib.sh"

plan 6

big=$(head -c 100000 /dev/zero | tr '\0' a)
hdr=$(head -c 200000 /dev/zero | tr '\0' b)
{
	echo "/noloc status=302"
	echo "/bigloc status=302 location=http://127.0.0.1/$big"
	echo "/bighead header=X-Big:$hdr"
	echo "/cuthead cut-head"
	echo "/badversion bad-version"
} >"$T/routes"
start_server S --routes "$T/routes"
mkdir -p "$T/rules"
printf 'site: "127.0.0.1"\nrobots: ignore\ndelay: 0\nretries: 0\n' >"$T/rules/r.yaml"
for u in noloc bigloc bighead cuthead badversion; do
	echo "http://127.0.0.1:$S/$u"
done >"$T/urls"
run "$SCRAPER" crawl -c "$T/rules" -d "$T/b.db" "$T/urls"
row() {
	sql "$T/b.db" "SELECT state || '|' || coalesce(p.status, '') || '|' || p.error FROM frontier JOIN pages p USING (url) WHERE url LIKE '%/$1'"
}
like "$(row noloc)" '^failed\|302\|HTTP 302 redirect without a Location header' "302 without Location: failed, saying so"
like "$(row bigloc)" '^failed\|302\|redirect to a URL of 100017 bytes, longer than the 8192 scraper follows' \
     "a 100 KB Location: failed as too long"
like "$(row bighead)" "^failed\|\|response headers too large \(a header over curl's 100 KB limit\) after HTTP 200" \
     "a header line over 100 KB: failed in words, no status"
like "$(row cuthead)" '^failed\|\|response cut off after HTTP 200' "a head cut after the status line: failed, no status"
like "$(row badversion)" "^failed\|\|the response's status line is not HTTP \(curl read it as status -?[0-9]+\)" \
     "a status line curl cannot read: failed, no status"
is "$status" 0 "the crawl exits 0"

done_testing
