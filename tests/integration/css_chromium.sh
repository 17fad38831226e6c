#!/bin/sh
# css_chromium.sh: our CSS selectors judged by a browser engine.  Every selector of
# tests/fixtures/css/selectors.txt is run on every page tests/fixtures/css/*.html by
# chromium's document.querySelectorAll (in a generated page that parses each fixture
# with DOMParser and writes the answers into its own DOM, printed by --dump-dom) and
# by our CSS-to-XPath compiler over libxml2 (tests/css_matches); each pair must select
# the same elements, named by their paths, or both refuse the selector.  The few
# selectors where we differ on purpose are in chromium-differences.txt with the reason.
# Skips when chromium is not installed.
. "$top_srcdir/tests/lib.sh"

CSS="$FIXTURES/css"
SELECTORS="$CSS/selectors.txt"
KNOWN="$CSS/chromium-differences.txt"
CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}

if [ -z "$CHROMIUM" ]; then
	plan 1
	echo "ok 1 # SKIP chromium not installed"
	exit 0
fi

# The judging page: the fixtures and the selectors as base64, a script that answers.
page="$T/judge.html"
{
	echo '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body><pre id="out"></pre><script>'
	printf 'var pages = {'
	for f in "$CSS"/*.html; do
		printf '"%s": "%s",\n' "$(basename "$f")" "$(base64 -w0 <"$f")"
	done
	printf '};\nvar selectors = "%s";\n' "$(grep -v '^#' "$SELECTORS" | grep . | base64 -w0)"
	cat <<'JS'
function utf8(b64) {
	return new TextDecoder().decode(Uint8Array.from(atob(b64), function (c) { return c.charCodeAt(0); }));
}
function path(e) {
	var parts = [];
	for (; e !== null && e.nodeType === 1; e = e.parentElement) {
		var i = 0;
		for (var s = e.previousElementSibling; s !== null; s = s.previousElementSibling)
			i++;
		parts.unshift(e.localName + i);
	}
	return parts.join("/");
}
var out = [];
var list = utf8(selectors).split("\n");
Object.keys(pages).sort().forEach(function (name) {
	var doc = new DOMParser().parseFromString(utf8(pages[name]), "text/html");
	list.forEach(function (sel) {
		if (sel === "")
			return;
		var line = name + "\t" + sel;
		try {
			doc.querySelectorAll(sel).forEach(function (e) { line += "\t" + path(e); });
		} catch (err) {
			line += "\t!error";
		}
		out.push(line);
	});
});
document.getElementById("out").textContent = out.join("\n") + "\n";
JS
	echo '</script></body></html>'
} >"$page"

profile=$(mktemp -d "$T/profile.XXXXXX")
timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
	--disable-background-networking --disable-component-update --disable-sync \
	--user-data-dir="$profile" --dump-dom "file://$page" >"$T/dom.html" 2>"$T/chromium.err"
# The answers, as text again (textContent is serialised with &amp; &lt; &gt;).
sed -n '/<pre id="out">/,/<\/pre>/p' "$T/dom.html" |
	sed -e 's/.*<pre id="out">//' -e 's/<\/pre>.*//' |
	sed -e 's/&lt;/</g' -e 's/&gt;/>/g' -e 's/&nbsp;/ /g' -e 's/&amp;/\&/g' | grep . >"$T/chromium.tsv"

for f in "$CSS"/*.html; do
	name=$(basename "$f")
	grep -v '^#' "$SELECTORS" | grep . | "$top_builddir/tests/css_matches" "$f" |
		sed "s/^/$name	/" >>"$T/ours.tsv" || exit 99
done

n=$(wc -l <"$T/ours.tsv")
if [ "$(wc -l <"$T/chromium.tsv")" -ne "$n" ]; then
	echo "Bail out! chromium gave $(wc -l <"$T/chromium.tsv") answers for $n questions"
	sed 's/^/# /' "$T/chromium.err" | head -20
	exit 1
fi
plan "$n"
paste -d '\n' "$T/ours.tsv" "$T/chromium.tsv" >"$T/pairs"
while IFS= read -r ours && IFS= read -r theirs; do
	what=$(printf '%s' "$ours" | cut -f1,2 | sed 's/	/: /')
	sel=$(printf '%s' "$ours" | cut -f2)
	why=$(grep -v '^#' "$KNOWN" | awk -F '\t' -v s="$sel" '$1 == s { print $2 }')
	if [ "$ours" = "$theirs" ]; then
		ok "$what"
	elif [ -n "$why" ]; then
		ok "$what (a known difference: $why)"
	else
		not_ok "$what selects what chromium selects"
		diag "ours:     $(printf '%s' "$ours" | cut -f3- | tr '\t' ' ')" \
			"chromium: $(printf '%s' "$theirs" | cut -f3- | tr '\t' ' ')"
	fi
done <"$T/pairs"
done_testing
