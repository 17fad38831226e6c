# warc.sh: export -f warc writes the stored responses as WARC 1.1, one gzip member per
# record, atomically; checked by an independent reader written from the WARC 1.1
# specification (python3 standard library: gzip/zlib, hashlib, base64).
. "$top_srcdir/tests/lib.sh"

plan 10

command -v python3 >/dev/null 2>&1 || { echo "1..0 # SKIP python3 not installed"; exit 0; }
start_server S --root "$top_srcdir/tests/demo-site"
echo "http://127.0.0.1:$S/index.html" >"$T/urls"
run "$SCRAPER" crawl -q --store-bodies -c "$top_srcdir/config/demo" -d "$T/db" "$T/urls"
is "$status" 0 "a crawl with --store-bodies"
run "$SCRAPER" export -d "$T/db" -f warc -o "$T/out.warc.gz"
is "$status:$(ls "$T" | grep -c 'tmp-')" "0:0" "export -f warc exits 0 and leaves no temporary file"
# To standard output whose reader has gone (a pipe with its reading end closed, so the
# first write fails, whatever the pipe would buffer): a clean stop, as the other formats.
python3 -c '
import os, subprocess, sys
r, w = os.pipe()
os.close(r)
p = subprocess.run(sys.argv[1:], stdout=w, stderr=subprocess.PIPE)
sys.stdout.write("%d:%s" % (p.returncode, p.stderr.decode().strip()))
' "$SCRAPER" export -d "$T/db" -f warc -o - >"$T/epipe"
is "$(cat "$T/epipe")" "0:" "export -f warc -o - to a closed pipe: a clean stop, exit 0, nothing said"

cat >"$T/reader.py" <<'PY'
# A WARC 1.1 reader after ISO 28500:2017 section 5-6: records of a version line,
# named fields, an empty line, Content-Length bytes, then CRLF CRLF; each record one
# gzip member here.  Prints one line of facts per check.
import base64, gzip, hashlib, re, sys, zlib
raw = open(sys.argv[1], 'rb').read()
members, rest = 0, raw
while rest:
    d = zlib.decompressobj(31)
    d.decompress(rest)
    if not d.eof:
        sys.exit('truncated gzip member')
    members += 1
    rest = d.unused_data
data = gzip.decompress(raw)
pos, recs = 0, []
while pos < len(data):
    end = data.index(b'\r\n\r\n', pos)
    head = data[pos:end].decode('utf-8').split('\r\n')
    if head[0] != 'WARC/1.1':
        sys.exit('bad version line %r' % head[0])
    fields = {}
    for line in head[1:]:
        name, value = line.split(':', 1)
        fields[name.strip().lower()] = value.strip()
    n = int(fields['content-length'])
    block = data[end + 4:end + 4 + n]
    if len(block) != n or data[end + 4 + n:end + 8 + n] != b'\r\n\r\n':
        sys.exit('Content-Length does not match the block')
    recs.append((fields, block))
    pos = end + 8 + n
def b32(h): return 'sha256:' + base64.b32encode(h).decode()
types = [f['warc-type'] for f, b in recs]
print('members=%d records=%d' % (members, len(recs)))
print('first=%s responses=%d requests=%d' % (types[0], types.count('response'), types.count('request')))
ok_ids = all(re.fullmatch(r'<urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}>', f['warc-record-id']) for f, b in recs)
ok_dates = all(re.fullmatch(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z', f['warc-date']) for f, b in recs)
print('ids=%s dates=%s unique=%s' % (ok_ids, ok_dates, len({f['warc-record-id'] for f, b in recs}) == len(recs)))
good = 0
for f, b in recs:
    if f['warc-type'] != 'response':
        continue
    hdr, _, payload = b.partition(b'\r\n\r\n')
    if (f['content-type'] == 'application/http;msgtype=response' and hdr.startswith(b'HTTP/1.1 200')
            and f['warc-payload-digest'] == b32(hashlib.sha256(payload).digest())
            and f['warc-block-digest'] == b32(hashlib.sha256(b).digest())
            and f['warc-target-uri'].startswith('http://')):
        good += 1
print('responses with good digests=%d' % good)
reqs = {f['warc-concurrent-to'] for f, b in recs if f['warc-type'] == 'request'}
resp = {f['warc-record-id'] for f, b in recs if f['warc-type'] == 'response'}
print('requests name their responses=%s' % (reqs == resp))
sample = [b for f, b in recs if f['warc-type'] == 'response' and f['warc-target-uri'].endswith('/product/sencha-kyoto/index.html')]
print('sencha=%s' % (b'Sencha Kyoto' in sample[0]))
PY
pages=$(sql "$T/db" "SELECT count(*) FROM pages WHERE body IS NOT NULL")
run python3 "$T/reader.py" "$T/out.warc.gz"
is "$status" 0 "an independent WARC 1.1 reader reads it"
printf '%s\n' "$out" >"$T/facts"
is "$(sed -n 1p "$T/facts")" "members=$((2 * pages + 1)) records=$((2 * pages + 1))" \
   "a warcinfo record and a request and a response per stored page, each its own gzip member"
is "$(sed -n 2p "$T/facts")" "first=warcinfo responses=$pages requests=$pages" "warcinfo first"
is "$(sed -n 3p "$T/facts")" "ids=True dates=True unique=True" "WARC-Record-ID urn:uuid (v4, unique), WARC-Date"
is "$(sed -n 4,6p "$T/facts" | tr '\n' ' ')" \
   "responses with good digests=$pages requests name their responses=True sencha=True " \
   "payload and block digests (sha256, base32) match, Content-Length exact, requests concurrent to their responses"

# A corrupt stored body is left out and said so; the export still ends well.
sql "$T/db" "UPDATE bodies SET data = x'00' WHERE digest = (SELECT body FROM pages WHERE url LIKE '%/about.html')"
run "$SCRAPER" export -d "$T/db" -f warc -o "$T/out2.warc.gz"
like "$status:$(printf '%s' "$err" | tr '\n' ' ')" "^0:.*about.html: stored body is corrupt.*left out" \
     "a corrupt stored body is left out, with a message"
run "$SCRAPER" export -d "$T/db" -f warc
is "$status" 2 "-f warc needs -o FILE (it is binary)"

done_testing
