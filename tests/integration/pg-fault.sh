# pg-fault.sh: PostgreSQL stopped for 10 s in the middle of a crawl (pg_ctl stop -m
# fast, then start): the node waits, reconnects, applies its open transaction again
# and goes on; nothing is lost or stored twice, and it exits 0.  Then a statement
# that fails in the middle of the writer's pipelined batch: a serialization failure
# (a trigger raising SQLSTATE 40001 three times) is retried with nothing lost; any
# other error stops the crawl with the server's message.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/pglib.sh"

pg_require 10
pg_start

N=300
start_server G --gen $N --log "$T/g.log"
gen_rules "$T/rules"
# 30 ms between requests: about 9 s of crawling, so the outage comes in the middle.
sed -i 's/^concurrency: 4/concurrency: 1/; s/^delay: 0$/delay: 0.03/' "$T/rules/gen.yaml"
echo "http://127.0.0.1:$G/gen/0.html" >"$T/urls"

"$SCRAPER" crawl -c "$T/rules" -d "$PGURI" --node solo "$T/urls" 2>"$T/crawl.err" &
crawl=$!
i=0
while n=$(psql_q "SELECT count(*) FROM pages" 2>/dev/null); [ "${n:-0}" -lt 30 ] && [ $i -lt 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
pg_stop
sleep 10
pg_restart
RUN_TIMEOUT=120
wait $crawl
is "$?" 0 "the crawl exits 0 after the outage"
check "it said it lost the connection and reconnected" \
	grep -q "reconnected to PostgreSQL" "$T/crawl.err"
is "$(psql_q "SELECT count(*), count(DISTINCT url), count(*) FILTER (WHERE status = 200) FROM pages")" \
   "$N|$N|$N" "every page stored, once"
is "$(psql_q "SELECT count(*), count(DISTINCT url) FROM gen")" "$N|$N" "every item stored, once"
is "$(psql_q "SELECT count(*) FROM frontier WHERE state <> 'done'")" 0 "nothing left queued or in flight"

sed -i 's/^delay: 0.03$/delay: 0.01/' "$T/rules/gen.yaml"
for db in flaky broken; do
	psql_q "CREATE DATABASE $db" >/dev/null
done
F="postgresql://scraper@/flaky?host=$PGDIR&port=5432"
"$SCRAPER" crawl -q -c "$T/rules" -d "$F" --node solo "$T/urls" 2>"$T/flaky.err" &
crawl=$!
wait_pages "$F" 30
psql -X -q -d "$F" -c "CREATE SEQUENCE tries;
CREATE FUNCTION flaky() RETURNS trigger LANGUAGE plpgsql AS \$\$ BEGIN
  IF nextval('tries') <= 3 THEN
    RAISE EXCEPTION USING ERRCODE = '40001', MESSAGE = 'test: could not serialize';
  END IF;
  RETURN NEW; END \$\$;
CREATE TRIGGER flaky BEFORE INSERT ON pages FOR EACH ROW EXECUTE FUNCTION flaky();" >/dev/null
wait $crawl
is "$?:$(psql -X -q -A -t -d "$F" -c "SELECT last_value >= 3 FROM tries")" "0:t" \
   "a serialization failure inside the pipelined batch: retried, the crawl exits 0"
is "$(psql -X -q -A -t -d "$F" -c "SELECT count(*), count(DISTINCT url) FROM pages")" "$N|$N" \
   "and every page is stored, once"
is "$(psql -X -q -A -t -d "$F" -c "SELECT count(*) FROM frontier WHERE state <> 'done'")" 0 \
   "nothing left queued or in flight"

X="postgresql://scraper@/broken?host=$PGDIR&port=5432"
"$SCRAPER" crawl -q -c "$T/rules" -d "$X" --node solo "$T/urls" 2>"$T/broken.err" &
crawl=$!
wait_pages "$X" 30
psql -X -q -d "$X" -c "CREATE FUNCTION broken() RETURNS trigger LANGUAGE plpgsql AS \$\$ BEGIN
  RAISE EXCEPTION 'test: no more pages today'; END \$\$;
CREATE TRIGGER broken BEFORE INSERT ON pages FOR EACH ROW EXECUTE FUNCTION broken();" >/dev/null
wait $crawl
st=$?
like "$st:$(tr '\n' ' ' <"$T/broken.err")" "^[1-9][0-9]*:.*writing: .*test: no more pages today" \
     "any other error in the batch stops the crawl, with the server's message"
check "what was committed before stays" \
	test "$(psql -X -q -A -t -d "$X" -c "SELECT count(*) FROM pages")" -ge 30
done_testing
