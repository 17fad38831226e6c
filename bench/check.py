#!/usr/bin/env python3
"""check.py: compare a crawl's products with the corpus ground truth (manifest.json).

    check.py --manifest DIR/manifest.json --db scraped.db      [--table product]
    check.py --manifest DIR/manifest.json --jsonl scrapy.jsonl [--scrapy-stats stats.json]

Products: found / missing / extra (URL not a product of the corpus) / duplicates (one URL
stored more than once) / wrong values, per field (strings must be equal; price a number
within half a penny; rating and stock integers).

Robots: any URL under a trap folder (/private/) that was fetched is a violation.  For a
scraper database that is a `pages` row with a non-NULL status there (a row with status
NULL and an error naming robots.txt is the crawler saying "disallowed, not fetched": good);
for Scrapy, an item from there, or more responses than the corpus has pages (+ robots.txt)
in the stats the bench spider writes.  For a scraper database it also checks the pages:
every page of the corpus fetched with status 200, nothing else fetched, nothing left
queued or in flight in the frontier.

Prints a report (and writes it as JSON with --json-out); exit status 0 when everything
matches, 1 when anything is wrong, 2 on bad usage or unreadable input.  Python 3 standard
library only.
"""

import argparse
import json
import os
import sqlite3
import sys
from urllib.parse import urlsplit

FIELDS = ["title", "price", "sku", "rating", "availability", "stock", "description"]
EXAMPLES = 3


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def is_num(v):
    return (isinstance(v, (int, float))) and not isinstance(v, bool)


def same(field, want, got):
    if field == "price":
        return is_num(got) and abs(float(got) - want) < 0.005
    if field in ("rating", "stock"):
        return is_int(got) and got == want
    return isinstance(got, str) and got == want


def load_db(path, table):
    if not os.path.exists(path):
        raise SystemExit("check.py: no database %s" % path)
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    cols = [r[1] for r in db.execute("PRAGMA table_info(%s)" % table)]
    if not cols:
        raise SystemExit("check.py: %s has no table or view %r" % (path, table))
    urlcol = "page_url" if "page_url" in cols else "url"
    missing_cols = [f for f in FIELDS if f not in cols]
    sel = ", ".join([urlcol] + [f if f in cols else "NULL" for f in FIELDS])
    rows = []
    for r in db.execute("SELECT %s FROM %s" % (sel, table)):
        rows.append(dict(zip(["url"] + FIELDS, r)))
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type IN ('table','view')")}
    pages = frontier = None
    if "pages" in tables:
        pages = list(db.execute("SELECT url, status, error FROM pages"))
    if "frontier" in tables:
        frontier = dict(db.execute("SELECT state, count(*) FROM frontier GROUP BY state"))
    db.close()
    return rows, missing_cols, pages, frontier


def load_jsonl(path):
    rows = []
    bad = 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                rows.append(json.loads(line))
            except ValueError:
                bad += 1
    return rows, bad


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--manifest", required=True)
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--db", help="scraper database (or any SQLite file with a product table/view)")
    src.add_argument("--jsonl", help="JSON lines, one product per line, with a url key")
    ap.add_argument("--table", default="product", help="table or view with the products (default product)")
    ap.add_argument("--scrapy-stats", help="stats JSON written by bench/scrapy_spider.py")
    ap.add_argument("--no-pages", action="store_true", help="do not check the pages/frontier tables")
    ap.add_argument("--json-out", help="write the report here as JSON")
    ap.add_argument("-q", "--quiet", action="store_true", help="print only the one-line verdict")
    args = ap.parse_args()

    with open(args.manifest, encoding="utf-8") as f:
        man = json.load(f)
    want = {p["url"]: p for p in man["products"]}
    trap_prefix = man.get("trap_prefix", "/private/")
    expected_pages = set()
    for s in man["sites"]:
        expected_pages.add(s["index"])
        expected_pages.update(s["listing_urls"])
    expected_pages.update(want)

    report = {"input": args.db or args.jsonl, "expected_products": len(want),
              "expected_pages": len(expected_pages), "problems": []}
    problems = report["problems"]

    pages = frontier = None
    if args.db:
        rows, missing_cols, pages, frontier = load_db(args.db, args.table)
        if missing_cols:
            problems.append("columns missing from %s: %s" % (args.table, ", ".join(missing_cols)))
    else:
        rows, bad = load_jsonl(args.jsonl)
        if bad:
            problems.append("%d lines of %s are not JSON" % (bad, args.jsonl))

    seen = {}
    extra = []
    for r in rows:
        u = r.get("url")
        seen[u] = seen.get(u, 0) + 1
    dups = {u: n for u, n in seen.items() if n > 1}
    found = [u for u in seen if u in want]
    missing = [u for u in want if u not in seen]
    extra = [u for u in seen if u not in want]
    wrong = {f: 0 for f in FIELDS}
    wrong_ex = {f: [] for f in FIELDS}
    checked = set()
    for r in rows:
        u = r.get("url")
        if u not in want or u in checked:
            continue
        checked.add(u)
        w = want[u]
        for f in FIELDS:
            if not same(f, w[f], r.get(f)):
                wrong[f] += 1
                if len(wrong_ex[f]) < EXAMPLES:
                    wrong_ex[f].append({"url": u, "expected": w[f], "got": r.get(f)})

    def is_trap(u):
        try:
            return urlsplit(u).path.startswith(trap_prefix)
        except (TypeError, ValueError):
            return False

    violations = sorted(u for u in seen if isinstance(u, str) and is_trap(u))
    report.update({
        "rows": len(rows), "found": len(found), "missing": len(missing), "extra": len(extra),
        "duplicates": sum(n - 1 for n in dups.values()),
        "wrong": wrong, "wrong_examples": {f: e for f, e in wrong_ex.items() if e},
        "missing_examples": missing[:EXAMPLES], "extra_examples": extra[:EXAMPLES],
        "duplicate_examples": list(dups)[:EXAMPLES],
    })
    if missing:
        problems.append("%d products missing" % len(missing))
    if extra:
        problems.append("%d extra products (not in the corpus)" % len(extra))
    if dups:
        problems.append("%d duplicate products" % report["duplicates"])
    for f in FIELDS:
        if wrong[f]:
            problems.append("%d wrong %s" % (wrong[f], f))

    # pages and robots
    if pages is not None and not args.no_pages:
        fetched = {u: st for u, st, _ in pages if st is not None}
        not_ok = [u for u in expected_pages if fetched.get(u) != 200]
        unexpected = [u for u in fetched if u not in expected_pages]
        robots_noted = [u for u, st, err in pages if st is None and is_trap(u) and err and "robots" in err]
        violations += sorted(u for u in fetched if is_trap(u))
        report.update({
            "pages_rows": len(pages), "pages_fetched": len(fetched),
            "pages_not_200": len(not_ok), "pages_not_200_examples": sorted(not_ok)[:EXAMPLES],
            "pages_unexpected": len(unexpected), "pages_unexpected_examples": sorted(unexpected)[:EXAMPLES],
            "robots_disallowed_recorded": len(robots_noted), "frontier": frontier,
        })
        if not_ok:
            problems.append("%d corpus pages not fetched with status 200" % len(not_ok))
        if unexpected:
            problems.append("%d pages fetched that are not corpus pages" % len(unexpected))
        if frontier:
            left = sum(n for st, n in frontier.items() if st in ("queued", "inflight"))
            if left:
                problems.append("%d frontier URLs left queued/inflight" % left)
        if not robots_noted:
            problems.append("no trap URL recorded as disallowed by robots.txt (the home pages link into /private/)")

    if args.scrapy_stats:
        with open(args.scrapy_stats, encoding="utf-8") as f:
            st = json.load(f)
        responses = st.get("response_received_count", 0)
        limit = len(expected_pages) + len(man["sites"])  # + one robots.txt per site
        report.update({"scrapy_responses": responses, "scrapy_robots_forbidden": st.get("robotstxt/forbidden", 0),
                       "scrapy_finish_reason": st.get("finish_reason")})
        if responses > limit:
            problems.append("Scrapy received %d responses, the corpus has %d pages + %d robots.txt"
                            % (responses, len(expected_pages), len(man["sites"])))
        if not st.get("robotstxt/forbidden"):
            problems.append("Scrapy refused no request by robots.txt (the home pages link into /private/)")
        if st.get("finish_reason") != "finished":
            problems.append("Scrapy finish_reason %r" % st.get("finish_reason"))

    violations = sorted(set(violations))
    report["robots_violations"] = len(violations)
    report["robots_violation_examples"] = violations[:EXAMPLES]
    if violations:
        problems.append("%d robots.txt violations (trap URLs fetched)" % len(violations))
    report["ok"] = not problems

    if args.json_out:
        with open(args.json_out, "w", encoding="utf-8") as f:
            json.dump(report, f, ensure_ascii=False, indent=1)
    verdict = "OK" if report["ok"] else "FAIL: " + "; ".join(problems)
    if not args.quiet:
        print("check: %s" % report["input"])
        print("  products: %d expected, %d found, %d missing, %d extra, %d duplicates"
              % (len(want), len(found), len(missing), len(extra), report["duplicates"]))
        print("  wrong fields: " + ", ".join("%s %d" % (f, wrong[f]) for f in FIELDS))
        for f, ex in report["wrong_examples"].items():
            for e in ex:
                print("    %s: %s\n      expected %r\n      got      %r" % (f, e["url"], e["expected"], e["got"]))
        for key in ("missing_examples", "extra_examples", "duplicate_examples"):
            if report[key]:
                print("  %s: %s" % (key.replace("_", " "), " ".join(map(str, report[key]))))
        if "pages_rows" in report:
            print("  pages: %d rows, %d fetched, %d corpus pages not 200, %d unexpected, %d trap URLs recorded as robots-disallowed; frontier %s"
                  % (report["pages_rows"], report["pages_fetched"], report["pages_not_200"],
                     report["pages_unexpected"], report["robots_disallowed_recorded"], report["frontier"]))
            for key in ("pages_not_200_examples", "pages_unexpected_examples"):
                if report[key]:
                    print("  %s: %s" % (key.replace("_", " "), " ".join(report[key])))
        if "scrapy_responses" in report:
            print("  scrapy: %d responses, %d refused by robots.txt, finish reason %s"
                  % (report["scrapy_responses"], report["scrapy_robots_forbidden"], report["scrapy_finish_reason"]))
        print("  robots violations: %d %s" % (len(violations), " ".join(violations[:EXAMPLES])))
    print("check: " + verdict)
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
