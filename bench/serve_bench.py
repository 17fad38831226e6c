#!/usr/bin/env python3
"""serve_bench.py: the service under load, honestly.

    bench/serve_bench.py            # or with knobs: SITES=4 PAGES=3000 CLIENTS=200 ...

Two crawls of the benchmark corpus (bench/gen_corpus.py, served by nginx through
bench/serve.sh), half of the shops each, run twice in the same session:

  1. plain:   two `scraper crawl` processes started together, nothing else running;
  2. service: `scraper serve` (with a token) runs the same two crawls as two jobs of two
              projects while CLIENTS concurrent API clients (asyncio, one keep-alive
              connection each) poll: each turn GET /api/v1/jobs/ID of one of the jobs
              or GET /api/v1/jobs (alternately), then wait POLL_S.

It reports the API's latency (p50, p90, p99, max, from the clients' side: send to last
byte), the request rate, errors, and the crawls' pages/s in both modes (pages stored /
wall time from start to the last crawl's end), with the CPU time of the service process
and of the load generator itself (which shares the machine with the crawls; CLIENTS=0
runs the jobs through the service with no API load, to tell the two apart).
Targets (issue 11): p99 under 50 ms; the service's crawl within 10% of the plain one.

Knobs (environment): SITES (4), PAGES per shop (3000), SEED (42), CLIENTS (200),
POLL_S (0.2), WORKERS (64), SCRAPER (default _build/scraper/scraper), BENCH_TMP
(/tmp/scraper-bench), BASE_PORT (18081), ROUNDS (1: plain then service; 2: again).
Uses only the Python standard library; nginx must be installed (bench/README.md).
"""

import asyncio
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
SITES = int(os.environ.get("SITES", "4"))
PAGES = int(os.environ.get("PAGES", "3000"))
SEED = int(os.environ.get("SEED", "42"))
CLIENTS = int(os.environ.get("CLIENTS", "200"))
POLL_S = float(os.environ.get("POLL_S", "0.2"))
WORKERS = os.environ.get("WORKERS", "64")
ROUNDS = int(os.environ.get("ROUNDS", "1"))
BASE_PORT = int(os.environ.get("BASE_PORT", "18081"))
BENCH_TMP = os.environ.get("BENCH_TMP", "/tmp/scraper-bench")
SCRAPER = os.environ.get("SCRAPER", os.path.join(TOP, "_build", "scraper", "scraper"))
TOKEN = "bench-token-0123456789"


def log(msg):
    print("serve_bench: " + msg, file=sys.stderr, flush=True)


def corpus():
    out = os.path.join(BENCH_TMP, "shop-s%d-p%d-seed%d" % (SITES, PAGES, SEED))
    if not os.path.exists(os.path.join(out, "seeds.txt")):
        log("generating the corpus in %s" % out)
        subprocess.run([sys.executable, os.path.join(HERE, "gen_corpus.py"), "--sites", str(SITES),
                        "--pages", str(PAGES), "--seed", str(SEED), "--out", out,
                        "--base-port", str(BASE_PORT)], check=True)
    return out


def split_seeds(path):
    with open(path) as f:
        seeds = [l.strip() for l in f if l.strip() and not l.startswith("#")]
    half = (len(seeds) + 1) // 2
    return [seeds[:half], seeds[half:]]


def pages_in(db):
    out = subprocess.run([SCRAPER, "query", "-d", db, "-f", "csv",
                          "SELECT count(*) FROM pages WHERE status = 200"],
                         capture_output=True, text=True, check=True).stdout
    return int(out.splitlines()[1])


def plain_run(work, halves, rules):
    """Two plain crawls at once; pages/s over the wall time until both end."""
    procs, dbs = [], []
    start = time.monotonic()
    for i, seeds in enumerate(halves):
        urls = os.path.join(work, "plain-%d.txt" % i)
        with open(urls, "w") as f:
            f.write("\n".join(seeds) + "\n")
        db = os.path.join(work, "plain-%d.db" % i)
        dbs.append(db)
        procs.append(subprocess.Popen([SCRAPER, "crawl", "-q", "-c", rules, "-d", db,
                                       "--workers", WORKERS, urls]))
    for p in procs:
        if p.wait() != 0:
            raise SystemExit("plain crawl failed: exit %d" % p.returncode)
    wall = time.monotonic() - start
    pages = sum(pages_in(db) for db in dbs)
    return {"pages": pages, "wall_s": wall, "pages_per_s": pages / wall}


# ---- a minimal HTTP/1.1 keep-alive client on asyncio streams ----

class Client:
    def __init__(self, port):
        self.port = port
        self.reader = self.writer = None

    async def request(self, method, path, body=b""):
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        head = ("%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
                "Content-Length: %d\r\n\r\n" % (method, path, TOKEN, len(body))).encode()
        self.writer.write(head + body)
        await self.writer.drain()
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        length, chunked, close = 0, False, False
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            k, _, v = line.decode("latin-1").partition(":")
            k = k.strip().lower()
            if k == "content-length":
                length = int(v)
            elif k == "transfer-encoding" and "chunked" in v.lower():
                chunked = True
            elif k == "connection" and "close" in v.lower():
                close = True
        if chunked:
            data = b""
            while True:
                size = int((await self.reader.readline()).strip(), 16)
                if size == 0:
                    await self.reader.readline()
                    break
                data += await self.reader.readexactly(size + 2)
        else:
            data = await self.reader.readexactly(length)
        if close:
            self.writer.close()
            self.writer = None
        return status, data

    def close(self):
        if self.writer is not None:
            self.writer.close()


async def poller(port, job_ids, stop, lat, errors, k):
    c = Client(port)
    turn = k
    await asyncio.sleep((k % 50) * POLL_S / 50)  # spread the start
    while not stop.is_set():
        path = "/api/v1/jobs" if turn % 2 else "/api/v1/jobs/%d" % job_ids[(turn // 2) % len(job_ids)]
        turn += 1
        t0 = time.perf_counter()
        try:
            status, _ = await c.request("GET", path)
            if status != 200:
                errors.append(status)
        except (OSError, asyncio.IncompleteReadError, ValueError) as e:
            errors.append(str(e))
            c.close()
            c = Client(port)
            continue
        lat.append(time.perf_counter() - t0)
        await asyncio.sleep(POLL_S)
    c.close()


def put_project(port, name, rules_text, seeds):
    body = json.dumps({"rules": {"shop.yaml": rules_text}, "seeds": seeds,
                       "options": {"workers": int(WORKERS)}}).encode()

    async def go():
        c = Client(port)
        r = await c.request("PUT", "/api/v1/projects/" + name, body)
        c.close()
        return r
    status, data = asyncio.run(go())
    if status not in (200, 201):
        raise SystemExit("PUT %s: %d %s" % (name, status, data[:300]))


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def service_load(port, serve_pid):
    """Start both jobs, poll them with CLIENTS clients until both end."""
    c = Client(port)
    ids = []
    start = time.monotonic()
    for name in ("half0", "half1"):
        status, data = await c.request("POST", "/api/v1/projects/%s/jobs" % name)
        if status != 201:
            raise SystemExit("POST job: %d %s" % (status, data))
        ids.append(json.loads(data)["id"])
    cpu0 = cpu_seconds(serve_pid)
    client_cpu0 = time.process_time()
    stop = asyncio.Event()
    lat, errors = [], []
    tasks = [asyncio.create_task(poller(port, ids, stop, lat, errors, k)) for k in range(CLIENTS)]
    states = {}
    while True:
        for i in ids:
            status, data = await c.request("GET", "/api/v1/jobs/%d" % i)
            states[i] = json.loads(data)
        if all(s["state"] in ("finished", "failed", "cancelled") for s in states.values()):
            break
        await asyncio.sleep(0.1)
    wall = time.monotonic() - start
    stop.set()
    await asyncio.gather(*tasks)
    c.close()
    cpu = cpu_seconds(serve_pid) - cpu0
    return ids, states, wall, lat, errors, cpu, time.process_time() - client_cpu0


def service_run(work, halves, rules):
    data = os.path.join(work, "serve-data")
    shutil.rmtree(data, ignore_errors=True)
    with open(os.path.join(work, "token"), "w") as f:
        f.write(TOKEN + "\n")
    errlog = open(os.path.join(work, "serve.log"), "w")
    p = subprocess.Popen([SCRAPER, "serve", "-D", data, "--listen", "127.0.0.1:0",
                          "--token-file", os.path.join(work, "token")], stderr=errlog)
    port = None
    deadline = time.monotonic() + 20
    while port is None and time.monotonic() < deadline:
        with open(os.path.join(work, "serve.log")) as f:
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", f.read())
        if m:
            port = int(m.group(1))
        else:
            time.sleep(0.02)
    if port is None:
        p.kill()
        raise SystemExit("scraper serve did not start")
    try:
        with open(os.path.join(rules, "shop.yaml")) as f:
            rules_text = f.read()
        for i, seeds in enumerate(halves):
            put_project(port, "half%d" % i, rules_text, seeds)
        ids, states, wall, lat, errors, cpu, client_cpu = asyncio.run(service_load(port, p.pid))
        if any(s["state"] != "finished" for s in states.values()):
            raise SystemExit("a job did not finish: %s" % [s["state"] for s in states.values()])
        pages = sum(pages_in(os.path.join(data, "projects", "half%d" % i, "scraped.db"))
                    for i in range(len(halves)))
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait()
        errlog.close()
    lat.sort()
    q = lambda f: lat[min(len(lat) - 1, int(f * len(lat)))] * 1000 if lat else float("nan")
    return {"pages": pages, "wall_s": wall, "pages_per_s": pages / wall,
            "requests": len(lat), "errors": len(errors), "req_per_s": len(lat) / wall,
            "p50_ms": q(0.50), "p90_ms": q(0.90), "p99_ms": q(0.99), "max_ms": lat[-1] * 1000 if lat else 0,
            "mean_ms": statistics.mean(lat) * 1000 if lat else 0, "serve_cpu_s": cpu,
            "client_cpu_s": client_cpu}


def main():
    if not os.access(SCRAPER, os.X_OK):
        raise SystemExit("no scraper at %s (build it, or set SCRAPER)" % SCRAPER)
    os.makedirs(BENCH_TMP, exist_ok=True)
    c = corpus()
    halves = split_seeds(os.path.join(c, "seeds.txt"))
    rules = os.path.join(HERE, "rules")
    work = os.path.join(BENCH_TMP, "serve-bench")
    subprocess.run([os.path.join(HERE, "serve.sh"), "start", c], check=True)
    results = []
    try:
        for r in range(ROUNDS):
            shutil.rmtree(work, ignore_errors=True)
            os.makedirs(work)
            log("round %d: plain crawls" % (r + 1))
            plain = plain_run(work, halves, rules)
            log("round %d: the same crawls as two service jobs, %d API clients" % (r + 1, CLIENTS))
            serve = service_run(work, halves, rules)
            results.append((plain, serve))
    finally:
        subprocess.run([os.path.join(HERE, "serve.sh"), "stop"], check=False)
    print("corpus: %d shops x %d products; %d API clients, each polling every %.2f s; %s workers"
          % (SITES, PAGES, CLIENTS, POLL_S, WORKERS))
    print("| round | plain pages/s | service pages/s | ratio | API req/s | p50 ms | p90 ms | p99 ms | max ms | errors | service CPU s | clients' CPU s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for i, (plain, serve) in enumerate(results):
        print("| %d | %.0f (%d in %.1f s) | %.0f (%d in %.1f s) | %.3f | %.0f | %.2f | %.2f | %.2f | %.1f | %d | %.2f | %.2f |" % (
            i + 1, plain["pages_per_s"], plain["pages"], plain["wall_s"], serve["pages_per_s"],
            serve["pages"], serve["wall_s"], serve["pages_per_s"] / plain["pages_per_s"],
            serve["req_per_s"], serve["p50_ms"], serve["p90_ms"], serve["p99_ms"], serve["max_ms"],
            serve["errors"], serve["serve_cpu_s"], serve["client_cpu_s"]))
    with open(os.path.join(work, "results.json"), "w") as f:
        json.dump([{"plain": p, "service": s} for p, s in results], f, indent=1)


if __name__ == "__main__":
    main()
