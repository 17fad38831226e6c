#!/usr/bin/env python3
"""summarize.py RESULTS_DIR: the tables of a bench/run results folder.

Reads RESULTS_DIR/runs.tsv (tool, label, round, corpus, run name), each run's measure.py
output (NAME.json) and check.py report (NAME.check.json), floor.json and env.json, and
writes RESULTS_DIR/summary.md and summary.json; prints summary.md.

Definitions (see bench/README.md):
  pages/s      the corpus's pages (home + listings + products; robots.txt not counted) /
               wall time of the whole command, start-up and shut-down included.  A run
               only counts as a crawl of those pages when its check passed.
  CPU ms/page  user+sys CPU of the command's whole process tree / pages
  RSS          peak resident set sizes (VmHWM) sampled from /proc, in MiB
"""

import json
import os
import re
import statistics
import sys

MiB = 1024.0
WORKERS = os.environ.get("WORKERS", "64")


def load(path, default=None):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return default


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt(v, nd=1):
    if v is None:
        return "—"
    if isinstance(v, float) and abs(v) >= 1000 and nd <= 1:
        return "{:,.0f}".format(v)
    return "{:,.{}f}".format(v, nd)


_manifests = {}


def corpus_info(corpus):
    if corpus not in _manifests:
        m = load(os.path.join(corpus, "manifest.json"), {})
        size = 0
        for root, _, files in os.walk(corpus):
            for f in files:
                if f.endswith(".html"):
                    size += os.path.getsize(os.path.join(root, f))
        _manifests[corpus] = {"pages": m.get("total_pages"), "products": m.get("total_products"),
                              "sites": m.get("n_sites"), "pages_per_site": m.get("pages_per_site"),
                              "html_mb": round(size / 1e6, 1)}
    return _manifests[corpus]


def main():
    res = sys.argv[1]
    env = load(os.path.join(res, "env.json"), {})
    runs = []
    with open(os.path.join(res, "runs.tsv"), encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            tool, label, rnd, corpus, name = line.rstrip("\n").split("\t")
            m = load(os.path.join(res, name + ".json"), {})
            c = load(os.path.join(res, name + ".check.json"), {})
            info = corpus_info(corpus)
            pages = info["pages"] or 0
            wall = m.get("wall_s")
            cpu = m.get("cpu_s")
            ok = bool(c.get("ok")) and m.get("exit_status") == 0 and not m.get("timed_out")
            own = None
            try:
                log = open(os.path.join(res, name + ".log"), encoding="utf-8", errors="replace").read()
                g = re.findall(r"crawl finished: (\d+) pages in [0-9.]+ s \(([0-9.]+) pages/s\)", log)
                if g:
                    own = {"pages": int(g[-1][0]), "pages_per_s": float(g[-1][1])}
            except OSError:
                pass
            runs.append({
                "tool": tool, "label": label, "round": int(rnd), "name": name, "corpus": corpus,
                "pages": pages, "ok": ok, "problems": c.get("problems", ["no check report"]),
                "exit_status": m.get("exit_status"), "wall_s": wall, "cpu_s": cpu,
                "user_s": m.get("user_s"), "sys_s": m.get("sys_s"),
                "pages_per_s": pages / wall if wall else None,
                "cpu_ms_per_page": cpu * 1000.0 / pages if cpu is not None and pages else None,
                "coord_mib": (m.get("coord_hwm_kb") or 0) / MiB or None,
                "worker_max_mib": (m.get("worker_hwm_max_kb") or 0) / MiB or None,
                "hwm_sum_mib": (m.get("hwm_sum_kb") or 0) / MiB or None,
                "tree_peak_mib": (m.get("tree_rss_peak_kb") or 0) / MiB or None,
                "anon_sum_mib": (m.get("anon_sum_kb") or 0) / MiB or None,
                "tree_anon_peak_mib": (m.get("tree_anon_peak_kb") or 0) / MiB or None,
                "tree_pss_peak_mib": (m.get("tree_pss_peak_kb") or 0) / MiB or None,
                "coord_anon_mib": (m.get("coord_anon_kb") or 0) / MiB or None,
                "worker_anon_max_mib": (m.get("worker_anon_max_kb") or 0) / MiB or None,
                "maxrss_mib": (m.get("maxrss_kb") or 0) / MiB or None,
                "workers": m.get("workers"),
                "nginx_cpu_s": m.get("nginx_cpu_s"),
                "nginx_pct": 100.0 * m["nginx_cpu_s"] / wall if wall and m.get("nginx_cpu_s") is not None else None,
                "other_pct": 100.0 * m["other_cpu_s"] / wall if wall and m.get("other_cpu_s") is not None else None,
                "poller_cpu_s": m.get("poller_cpu_s"),
                "sampled_cpu_s": m.get("sampled_cpu_s"),
                "loadavg_before": m.get("loadavg_before"),
                "own_report": own,
            })

    labels = []
    for r in runs:
        if r["label"] not in labels:
            labels.append(r["label"])
    groups = {}
    for label in labels:
        for tool in ("scraper", "scrapy"):
            rs = [r for r in runs if r["label"] == label and r["tool"] == tool]
            if not rs:
                continue
            g = {"runs": len(rs), "ok": sum(r["ok"] for r in rs), "pages": rs[0]["pages"]}
            # medians over the runs that passed their check (a fast wrong answer does not
            # count); over all of them, flagged, when none passed
            g["medians_over"] = "passed runs" if g["ok"] else "all runs (none passed)"
            if g["ok"]:
                rs = [r for r in rs if r["ok"]]
            for k in ("pages_per_s", "cpu_ms_per_page", "wall_s", "cpu_s", "coord_mib", "worker_max_mib",
                      "hwm_sum_mib", "tree_peak_mib", "anon_sum_mib", "tree_anon_peak_mib", "tree_pss_peak_mib", "coord_anon_mib", "worker_anon_max_mib",
                      "nginx_pct", "other_pct"):
                g[k] = med([r[k] for r in rs])
            groups[(label, tool)] = g
        ratios = []
        for r in runs:
            if r["label"] == label and r["tool"] == "scraper":
                s = [x for x in runs if x["label"] == label and x["tool"] == "scrapy" and x["round"] == r["round"]]
                if s and s[0]["pages_per_s"] and r["pages_per_s"]:
                    ratios.append((r["round"], r["pages_per_s"] / s[0]["pages_per_s"], r["ok"] and s[0]["ok"]))
        if ratios:
            good = [x for _, x, ok in ratios if ok]
            groups[(label, "ratio")] = {"per_round": ratios, "median": med(good) if good else med([x for _, x, _ in ratios]),
                                        "median_over": "rounds where both passed" if good else "all rounds (failed checks)"}

    floor = load(os.path.join(res, "floor.json"))
    floor_check = load(os.path.join(res, "floor.check.json"), {})

    out = []
    mode = open(os.path.join(res, "mode")).read().strip() if os.path.exists(os.path.join(res, "mode")) else "?"
    out.append("# scraper benchmark: %s (%s)\n" % (mode, os.path.basename(res.rstrip("/"))))
    out.append("Machine: %s, %s cores, %s GiB, Linux %s; load average before: %s. scraper %s (git %s); %s; Scrapy %s.\n"
               % (env.get("cpu"), env.get("cores"), env.get("mem_gb"), env.get("kernel"),
                  " ".join(env.get("loadavg", [])), env.get("scraper_version", "").split("\n")[0],
                  env.get("git"), env.get("nginx"), env.get("scrapy") or "not run"))
    for n in env.get("notes", []):
        out.append("Note: %s\n" % n)
    for label in labels:
        corpus = next(r["corpus"] for r in runs if r["label"] == label)
        info = corpus_info(corpus)
        nr = max(r["round"] for r in runs if r["label"] == label)
        out.append("\n## %s: %s sites x %s products = %s pages to fetch (+ robots.txt), %s MB of HTML; median of %d round%s\n"
                   % (label, info["sites"], info["pages_per_site"], fmt(info["pages"], 0) if info["pages"] else "?",
                      info["html_mb"], nr, "" if nr == 1 else "s"))
        out.append("Medians over the runs that passed their check.\n")
        out.append("| crawler | checks passed | pages/s | CPU ms/page | wall s | coordinator peak RSS MiB "
                   "| largest worker peak RSS MiB | summed peak RSS MiB | tree RSS peak (sampled) MiB "
                   "| summed peak private (RssAnon) MiB | tree private peak (sampled) MiB "
                   "| tree PSS peak (sampled) MiB | nginx CPU % of a core | others' CPU % |")
        out.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for tool, name in (("scraper", "scraper (--workers %s)" % WORKERS), ("scrapy", "Scrapy")):
            g = groups.get((label, tool))
            if not g:
                continue
            worker = fmt(g["worker_max_mib"]) if tool == "scraper" else "— (one process)"
            out.append("| %s | %d/%d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                name, g["ok"], g["runs"], fmt(g["pages_per_s"], 0), fmt(g["cpu_ms_per_page"], 3), fmt(g["wall_s"], 2),
                fmt(g["coord_mib"]), worker, fmt(g["hwm_sum_mib"]), fmt(g["tree_peak_mib"]), fmt(g["anon_sum_mib"]), fmt(g["tree_anon_peak_mib"]),
                fmt(g["tree_pss_peak_mib"]), fmt(g["nginx_pct"], 0), fmt(g["other_pct"], 0)))
        many = max((r["workers"] or 0) for r in runs if r["label"] == label)
        if many > int(WORKERS):
            out.append("\nUp to %d worker processes ran one after another (at most --workers at once): the "
                       "\"summed\" columns add up processes that never lived together; the sampled tree "
                       "peaks are what the crawl held at once.\n" % many)
        rt = groups.get((label, "ratio"))
        if rt:
            out.append("\nscraper / Scrapy pages/s: %s; **median %.2f×** (over %s)\n" % (
                ", ".join("round %d %.2f×%s" % (n, x, "" if ok else " (a check failed)") for n, x, ok in rt["per_round"]),
                rt["median"], rt["median_over"]))
        bad = [r for r in runs if r["label"] == label and not r["ok"]]
        for r in bad:
            out.append("\n**%s FAILED**: exit %s; %s\n" % (r["name"], r["exit_status"], "; ".join(r["problems"])))

    if floor:
        out.append("\n## Floor: libxml2 + SQLite, C, no network (bench/floor.c), %d product pages, median of %d\n"
                   % (floor["pages"], floor["reps"]))
        out.append("| pass | threads | pages/s | CPU ms/page |")
        out.append("|---|---|---|---|")
        for f in floor["runs"]:
            unit = "rows/s" if f["pass"] == "sqlite insert" else ""
            out.append("| %s | %d | %s %s | %s |" % (f["pass"], f["threads"], fmt(f["pages_per_s"], 0), unit,
                                                  fmt(f["cpu_ms_per_page"], 4 if f["pass"] == "sqlite insert" else 3)))
        out.append("\nFloor extraction check: %s\n" % ("OK" if floor_check.get("ok") else
                                                     "FAIL: " + "; ".join(floor_check.get("problems", ["no report"]))))
        g = groups.get((labels[0], "scraper")) if labels else None
        for pname in ("parse+extract+follow", "parse+extract+links"):
            ext = [f for f in floor["runs"] if f["pass"] == pname]
            if g and ext and g["cpu_ms_per_page"]:
                best = min(f["cpu_ms_per_page"] for f in ext)
                top2 = max(f["pages_per_s"] for f in ext)
                out.append("scraper vs floor (%s): CPU per page %.2f× the floor's %.3f ms; "
                           "pages/s %.0f%% of the floor's best, %s pages/s (no network, no nginx).\n"
                           % (pname, g["cpu_ms_per_page"] / best, best, 100.0 * g["pages_per_s"] / top2, fmt(top2, 0)))

    if mode == "scale" and len(labels) >= 2:
        a, b = groups.get((labels[0], "scraper")), groups.get((labels[-1], "scraper"))
        if a and b and a["coord_mib"] and b["coord_mib"]:
            out.append("\n## Memory as the crawl grows\n")
            out.append("| crawl | pages | pages/s | CPU ms/page | coordinator peak RSS MiB | largest worker MiB | summed MiB |")
            out.append("|---|---|---|---|---|---|---|")
            for lb, g in ((labels[0], a), (labels[-1], b)):
                out.append("| %s | %s | %s | %s | %s | %s | %s |" % (lb, fmt(g["pages"], 0), fmt(g["pages_per_s"], 0),
                                                                fmt(g["cpu_ms_per_page"], 3), fmt(g["coord_mib"]),
                                                                fmt(g["worker_max_mib"]), fmt(g["hwm_sum_mib"])))
            out.append("\nCoordinator peak RSS %s: %.1f MiB -> %.1f MiB (%+.0f%%; target within +20%%).\n"
                       % ("grows" if b["coord_mib"] > a["coord_mib"] else "stays", a["coord_mib"], b["coord_mib"],
                          100.0 * (b["coord_mib"] / a["coord_mib"] - 1)))

    out.append("\n## Every run\n")
    out.append("| run | check | pages/s | wall s | CPU s (user+sys) | CPU ms/page | coord MiB | largest worker MiB "
               "| summed MiB | workers seen | nginx CPU s | others' CPU s | sampled CPU / rusage CPU | load before | crawler's own report |")
    out.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in runs:
        own = r["own_report"]
        out.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["name"], "ok" if r["ok"] else "**FAIL**", fmt(r["pages_per_s"], 0), fmt(r["wall_s"], 2),
            fmt(r["cpu_s"], 2), fmt(r["cpu_ms_per_page"], 3), fmt(r["coord_mib"]), fmt(r["worker_max_mib"]),
            fmt(r["hwm_sum_mib"]), r["workers"], fmt(r["nginx_cpu_s"], 2),
            fmt((r["other_pct"] or 0) * (r["wall_s"] or 0) / 100.0, 2),
            "%.0f%%" % (100.0 * r["sampled_cpu_s"] / r["cpu_s"]) if r["cpu_s"] and r["sampled_cpu_s"] is not None else "—",
            " ".join(r["loadavg_before"] or []),
            "%d pages, %.0f pages/s" % (own["pages"], own["pages_per_s"]) if own else ""))
    out.append("""
How measured: each run is one command under `/usr/bin/time -v` (CPU = user+sys of the whole
process tree, since the coordinator reaps its workers) while bench/measure.py polls /proc
every 50 ms for every process of the tree: peak RSS = VmHWM per process (coordinator = the
command itself, workers = its children; summed = coordinator + every worker's peak, an
upper bound of the simultaneous total while workers live side by side, meaningless when
hundreds come and go; tree RSS peak = largest sampled sum of VmRSS over live processes;
"private" = the same for RssAnon, i.e. without shared library and file pages).
"sampled CPU / rusage CPU" cross-checks that the rusage covers the workers (sampling
misses each process's last 50 ms, so it reads a little under 100%). nginx CPU is its
worker's utime+stime over the run; "others" is the rest of the machine's busy time
(neighbours). pages/s counts the corpus's pages (not robots.txt) over the whole command's
wall time. RSS counts shared library pages in every process.
""")
    md = "\n".join(out)
    with open(os.path.join(res, "summary.md"), "w", encoding="utf-8") as f:
        f.write(md)
    summary = {"env": env, "runs": runs, "floor": floor, "floor_check_ok": floor_check.get("ok"),
               "groups": {"%s/%s" % k: v for k, v in groups.items()}}
    with open(os.path.join(res, "summary.json"), "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=1, default=str)
    print(md)


if __name__ == "__main__":
    main()
