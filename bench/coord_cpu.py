#!/usr/bin/env python3
"""coord_cpu.py: the coordinator's CPU per page on crawls of different shapes.

    coord_cpu.py [--scraper PATH] [--shapes 2000x5,20x500] [--rounds 3]
                 [--workers 64] [--bench-tmp DIR] [--base-port N]

For each shape SITESxPAGES (the same total of product pages spread over many small
sites or a few big ones) it generates the corpus once (gen_corpus.py), serves it with
nginx (serve.sh), crawls it with bench/rules and reports, per page fetched:

  loop ms/page     CPU of the coordinator's main thread (its event loop: polling,
                   settling frames, dispatching, timers), sampled from
                   /proc/PID/task/PID/stat every 20 ms (the last sample can miss up to
                   20 ms of it)
  coord ms/page    CPU of the coordinator's whole process (loop + the store's writer
                   thread + the resolver), read from /proc/PID/stat once it has exited
                   and before it is reaped
  workers ms/page  its children's CPU (cutime + cstime: the workers it reaped)

Pages are the rows of the crawl's `pages` table with a status (robots.txt not counted).
Medians over --rounds.  CPU time, not wall time: meaningful on a shared machine, where
wall rates are not.  Run it before and after a change to the coordinator (same
--scraper build flags).
"""
import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TICK = os.sysconf("SC_CLK_TCK")


def stat_times(path):
    """utime, stime, cutime, cstime (seconds) from a /proc stat file, or None."""
    try:
        with open(path) as f:
            data = f.read()
    except OSError:
        return None
    fields = data[data.rindex(")") + 2:].split()
    return [int(x) / TICK for x in fields[11:15]]


def crawl(scraper, corpus, db, workers):
    for suffix in ("", "-wal", "-shm"):
        try:
            os.unlink(db + suffix)
        except FileNotFoundError:
            pass
    cmd = [scraper, "crawl", "-q", "-c", os.path.join(HERE, "rules"), "-d", db,
           "--workers", str(workers), os.path.join(corpus, "seeds.txt")]
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    loop = [0.0]
    done = threading.Event()

    def sample():
        path = "/proc/%d/task/%d/stat" % (p.pid, p.pid)
        while not done.is_set():
            t = stat_times(path)
            if t is not None:
                loop[0] = t[0] + t[1]
            time.sleep(0.02)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    # Wait for the exit without reaping: the zombie's stat holds its final CPU.
    os.waitid(os.P_PID, p.pid, os.WEXITED | os.WNOWAIT)
    done.set()
    th.join()
    final = stat_times("/proc/%d/stat" % p.pid)
    err = p.stderr.read().decode(errors="replace")
    rc = p.wait()
    if rc != 0:
        sys.exit("coord_cpu: %s exited %d: %s" % (" ".join(cmd), rc, err[-2000:]))
    con = sqlite3.connect(db)
    pages = con.execute("SELECT count(*) FROM pages WHERE status IS NOT NULL").fetchone()[0]
    con.close()
    return pages, loop[0], final[0] + final[1], final[2] + final[3]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scraper", default=os.path.join(HERE, "..", "_build", "scraper", "scraper"))
    ap.add_argument("--shapes", default="2000x5,20x500")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--workers", type=int, default=64)
    ap.add_argument("--bench-tmp", default=os.environ.get("BENCH_TMP", "/tmp/scraper-bench"))
    ap.add_argument("--base-port", type=int, default=int(os.environ.get("BASE_PORT", "18081")))
    a = ap.parse_args()
    env = dict(os.environ, BENCH_TMP=a.bench_tmp)
    rows = []
    for shape in a.shapes.split(","):
        sites, pages = (int(x) for x in shape.split("x"))
        corpus = os.path.join(a.bench_tmp, "shop-s%d-p%d-seed42-port%d" % (sites, pages, a.base_port))
        if not os.path.exists(os.path.join(corpus, "seeds.txt")):
            subprocess.run([sys.executable, os.path.join(HERE, "gen_corpus.py"), "--sites", str(sites),
                            "--pages", str(pages), "--seed", "42", "--out", corpus,
                            "--base-port", str(a.base_port)], check=True)
        subprocess.run([os.path.join(HERE, "serve.sh"), "start", corpus], check=True, env=env,
                       stdout=subprocess.DEVNULL)
        try:
            runs = []
            for r in range(a.rounds):
                n, loop, coord, kids = crawl(a.scraper, corpus, os.path.join(a.bench_tmp, "coord_cpu.db"),
                                             a.workers)
                runs.append((n, loop * 1000 / n, coord * 1000 / n, kids * 1000 / n))
                print("%s round %d: %d pages, loop %.4f, coord %.4f, workers %.4f ms/page" %
                      ((shape, r + 1) + runs[-1]), file=sys.stderr)
        finally:
            subprocess.run([os.path.join(HERE, "serve.sh"), "stop"], env=env, stdout=subprocess.DEVNULL)
        rows.append((shape, runs[0][0]) + tuple(statistics.median(x[i] for x in runs) for i in (1, 2, 3)))
    print("| shape | pages | loop ms/page | coord ms/page | workers ms/page |")
    print("|---|---|---|---|---|")
    for r in rows:
        print("| %s | %d | %.4f | %.4f | %.4f |" % r)


if __name__ == "__main__":
    main()
