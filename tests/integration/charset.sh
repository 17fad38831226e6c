# charset.sh: pages in legacy, undeclared and mislabelled encodings reach the database
# as correct (or, where the bytes are wrong, safely replaced) UTF-8, with the decision
# recorded per page.
. "$top_srcdir/tests/lib.sh"

plan 17

mkdir -p "$T/root" "$T/rules"
# page HEAD TITLE: TITLE's backslash escapes are bytes (\351 is one byte 0xE9).
page() {
	printf '<html><head>%s<title>' "$1"
	printf "$2"
	printf '</title></head><body></body></html>'
}
page '' 'Caf\351 cr\350me \200' >"$T/root/latin1.html"
page '<meta charset="shift_jis">' "$(printf '日本語のページ' | iconv -f UTF-8 -t SHIFT_JIS)" >"$T/root/sjis.html"
page '' 'Caf\351 sans label' >"$T/root/undeclared.html"
page '<meta charset="utf-8">' 'Caf\351 mislabelled' >"$T/root/liar.html"
page '' 'x' >"$T/root/klingon.html"
# A Chinese news page's shape: a long script in the head, gb2312 declared at byte 1180.
{
	printf '<html><head><script>'
	head -c 1151 /dev/zero | tr '\0' ' '
	printf '</script><meta charset="gb2312"><title>'
	printf '中文新闻' | iconv -f UTF-8 -t GB18030
	printf '</title></head><body></body></html>'
} >"$T/root/late.html"
# Single-byte encodings a sandboxed worker decodes by table (windows-1251, koi8-r),
# and windows-1258, whose combining marks glibc composes, by iconv.
page '<meta charset="windows-1251">' "$(printf 'Привет, мир' | iconv -f UTF-8 -t WINDOWS-1251)" >"$T/root/cp1251.html"
page '<meta charset="koi8-r">' "$(printf 'Привет, мир' | iconv -f UTF-8 -t KOI8-R)" >"$T/root/koi8.html"
page '<meta charset="windows-1258">' 'Vi\352\362t' >"$T/root/cp1258.html"
# Other labels of the Encoding Standard for encodings a worker decodes: each must name
# its encoding inside the sandbox too (a worker cannot load an iconv module by an alias).
page '<meta charset="cp1251">' "$(printf 'Привет' | iconv -f UTF-8 -t WINDOWS-1251)" >"$T/root/alias-cp1251.html"
page '<meta charset="latin2">' "$(printf 'Łódź' | iconv -f UTF-8 -t ISO-8859-2)" >"$T/root/alias-latin2.html"
page '<meta charset="cp866">' "$(printf 'Привет' | iconv -f UTF-8 -t IBM866)" >"$T/root/alias-cp866.html"
page '<meta charset="ks_c_5601-1987">' "$(printf '한국어' | iconv -f UTF-8 -t CP949)" >"$T/root/alias-ksc.html"
# A label iconv knows but the standard does not (browsers ignore it): unknown.
page '<meta charset="tscii">' 'plain' >"$T/root/tscii.html"
# A template that says euc-kr around UTF-8 text.
page '<meta charset="euc-kr">' '한국어 페이지' >"$T/root/euckr.html"
cat >"$T/routes" <<'ROUTES'
/latin1.html file=latin1.html type="text/html; charset=iso-8859-1"
/sjis.html file=sjis.html type=text/html
/undeclared.html file=undeclared.html type=text/html
/liar.html file=liar.html type=text/html
/klingon.html file=klingon.html type="text/html; charset=x-klingon"
/late.html file=late.html type=text/html
/euckr.html file=euckr.html type=text/html
/cp1251.html file=cp1251.html type=text/html
/koi8.html file=koi8.html type=text/html
/cp1258.html file=cp1258.html type=text/html
/alias-cp1251.html file=alias-cp1251.html type=text/html
/alias-latin2.html file=alias-latin2.html type=text/html
/alias-cp866.html file=alias-cp866.html type=text/html
/alias-ksc.html file=alias-ksc.html type=text/html
/tscii.html file=tscii.html type=text/html
ROUTES
start_server S --root "$T/root" --routes "$T/routes"
for p in latin1 sjis undeclared liar klingon late euckr cp1251 koi8 cp1258 \
	alias-cp1251 alias-latin2 alias-cp866 alias-ksc tscii; do
	echo "http://127.0.0.1:$S/$p.html"
done >"$T/urls"
printf 'site: "127.0.0.1"\ndelay: 0\nitems:\n  page:\n    fields:\n      title: "css: title::text"\n' >"$T/rules/r.yaml"

run "$SCRAPER" crawl -q -c "$T/rules" -d "$T/db" "$T/urls"
is "$status" 0 "the crawl exits 0"
row() { sql "$T/db" "SELECT title || ' | ' || charset FROM page JOIN pages USING (url) WHERE url LIKE '%/$1.html'"; }
is "$(row latin1)" "Café crème € | WINDOWS-1252 (header)" "Latin-1 by the header (as windows-1252, like browsers)"
is "$(row sjis)" "日本語のページ | CP932 (meta)" "Shift_JIS by <meta>"
is "$(row undeclared)" "Café sans label | WINDOWS-1252 (default)" "undeclared and not UTF-8: windows-1252"
is "$(row liar)" "Caf� mislabelled | UTF-8 (meta)" "declared UTF-8 but not: the bad byte becomes U+FFFD"
is "$(row klingon)" "x | UTF-8 (unknown charset x-klingon in header)" "an unknown charset: read as UTF-8, and said so"
is "$(row late)" "中文新闻 | GB18030 (meta at byte 1180, after the first 1024)" \
   "a <meta> after the first 1024 bytes changes the guess, and the page is read in it"
is "$(row euckr)" "한국어 페이지 | UTF-8 (valid UTF-8, though a meta tag says euc-kr)" \
   "a page that says euc-kr but is UTF-8 is read as UTF-8, and said so"
is "$(row cp1251)" "Привет, мир | WINDOWS-1251 (meta)" "windows-1251 by <meta>"
is "$(row koi8)" "Привет, мир | KOI8-R (meta)" "koi8-r by <meta>"
is "$(row cp1258)" "Việt | WINDOWS-1258 (meta)" "windows-1258 by <meta>, its combining mark composed"
is "$(row alias-cp1251)" "Привет | WINDOWS-1251 (meta)" "the label cp1251 is windows-1251 in a worker"
is "$(row alias-latin2)" "Łódź | ISO-8859-2 (meta)" "the label latin2 is iso-8859-2"
is "$(row alias-cp866)" "Привет | IBM866 (meta)" "the label cp866 is ibm866"
is "$(row alias-ksc)" "한국어 | CP949 (meta)" "the label ks_c_5601-1987 is euc-kr (read as CP949)"
is "$(row tscii)" "plain | UTF-8 (unknown charset tscii in meta)" \
   "tscii, which iconv knows but the standard does not: unknown, as in a browser"
is "$(sql "$T/db" "SELECT count(*) FROM items WHERE NOT json_valid(data)")" 0 "every stored item is valid JSON"

done_testing
