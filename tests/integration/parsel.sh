#!/bin/sh
# parsel.sh: our selectors against Scrapy's (parsel, over lxml and cssselect).  Every
# selector of tests/fixtures/css/parsel-selectors.txt is run on every page of
# tests/fixtures/css/ and on tests/fixtures/extract/shop.html by parsel
# (Selector(text=...).css(sel): getall() for ::text and ::attr(), each element's
# string() otherwise) and by our compiler (tests/css_matches -v); the values must be
# the same, in the same order, after white-space normalisation on both sides (ours
# is Unicode White_Space, trimmed and collapsed, blank values dropped: on purpose).
# Differences on purpose are in parsel-differences.txt with the reason.  Skips when
# python3-parsel is not installed.
. "$top_srcdir/tests/lib.sh"

CSS="$FIXTURES/css"
SELECTORS="$CSS/parsel-selectors.txt"
KNOWN="$CSS/parsel-differences.txt"

PYTHON=
for py in ${PYTHON3:-} python3 /usr/bin/python3; do
	if "$py" -c 'import parsel' 2>/dev/null; then
		PYTHON=$py
		break
	fi
done
if [ -z "$PYTHON" ]; then
	plan 1
	echo "ok 1 # SKIP python3-parsel not installed"
	exit 0
fi

cat >"$T/parsel_values.py" <<'PY'
import re
import sys

from parsel import Selector

# Unicode White_Space, as extractors/field.c has it.
WS = "[\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+"


def norm(s):
    return re.sub(WS, " ", s).strip(" ")


page, name = sys.argv[1], sys.argv[2]
with open(page, encoding="utf-8") as f:
    doc = Selector(text=f.read())
for sel in sys.stdin.read().splitlines():
    try:
        found = doc.css(sel)
        if "::" in sel:
            values = found.getall()
        else:
            values = [e.xpath("string()").get() for e in found]
    except Exception:
        print(name + "\t" + sel + "\t!error")
        continue
    values = [v for v in (norm(v) for v in values) if v]
    print("\t".join([name, sel] + values))
PY

pages="$CSS/*.html $FIXTURES/extract/shop.html"
for f in $pages; do
	name=$(basename "$f")
	grep -v '^#' "$SELECTORS" | grep . | "$top_builddir/tests/css_matches" -v "$f" |
		sed "s/^/$name	/" >>"$T/ours.tsv" || exit 99
	grep -v '^#' "$SELECTORS" | grep . | "$PYTHON" "$T/parsel_values.py" "$f" "$name" \
		>>"$T/parsel.tsv" 2>"$T/parsel.err" || { sed 's/^/# /' "$T/parsel.err"; exit 99; }
done

n=$(wc -l <"$T/ours.tsv")
if [ "$(wc -l <"$T/parsel.tsv")" -ne "$n" ]; then
	echo "Bail out! parsel gave $(wc -l <"$T/parsel.tsv") answers for $n questions"
	exit 1
fi
plan "$n"
paste -d '\n' "$T/ours.tsv" "$T/parsel.tsv" >"$T/pairs"
while IFS= read -r ours && IFS= read -r theirs; do
	what=$(printf '%s' "$ours" | cut -f1,2 | sed 's/	/: /')
	sel=$(printf '%s' "$ours" | cut -f2)
	why=$(grep -v '^#' "$KNOWN" | awk -F '\t' -v s="$sel" '$1 == s { print $2 }')
	if [ "$ours" = "$theirs" ]; then
		ok "$what"
	elif [ -n "$why" ]; then
		ok "$what (a known difference: $why)"
	else
		not_ok "$what gives what parsel gives"
		diag "ours:   $(printf '%s' "$ours" | cut -f3- | sed 's/	/ | /g')" \
			"parsel: $(printf '%s' "$theirs" | cut -f3- | sed 's/	/ | /g')"
	fi
done <"$T/pairs"
done_testing
