#!/bin/sh
# demo-site-edit.sh SITE: change a copy of the demo shop as a shop changes between two
# crawls (tests/integration/history.sh, the README's worked example): 10 prices up by
# 10 %, 5 products withdrawn (their pages deleted, their cards taken off the listings).
site=$1
changed="assam-harmutty ceylon-uva-highlands chamomile-blossom earl-grey-lavender espresso-no-5 gyokuro-asahi kenya-aa-kiambu matcha-ceremonial rooibos-vanilla sencha-kyoto"
removed="dragon-well-longjing gunpowder-pearl hojicha-roasted-twig lemongrass-ginger yunnan-golden-tips"
for f in "$site"/category/*/*.html "$site"/index.html; do
	awk -v changed=" $changed " -v removed=" $removed " '
	function slug(line,   m) { if (match(line, /product\/[^\/]+\//)) return substr(line, RSTART + 8, RLENGTH - 9); return "" }
	function bump(line,   p, n) {
		if (match(line, /£[0-9.]+/)) { p = substr(line, RSTART + 2, RLENGTH - 2); n = sprintf("£%.2f", p * 1.1); line = substr(line, 1, RSTART - 1) n substr(line, RSTART + RLENGTH) }
		return line }
	/<article class="product-card">/ { inart = 1; buf = ""; s = "" }
	inart { if (s == "" && slug($0) != "") s = slug($0)
		if (/class="price"/ && index(changed, " " s " ")) $0 = bump($0)
		buf = buf $0 "\n"
		if (/<\/article>/) { inart = 0; if (!index(removed, " " s " ")) printf "%s", buf }
		next }
	{ print }' "$f" >"$f.new" && mv "$f.new" "$f"
done
for p in $changed; do
	f="$site/product/$p/index.html"
	awk '/<p class="price">/ && !done { if (match($0, /£[0-9.]+/)) { p = substr($0, RSTART + 2, RLENGTH - 2); $0 = substr($0, 1, RSTART - 1) sprintf("£%.2f", p * 1.1) substr($0, RSTART + RLENGTH); done = 1 } } { print }' "$f" >"$f.new" && mv "$f.new" "$f"
done
for p in $removed; do rm -r "$site/product/$p"; done
