#!/usr/bin/env python3
"""measure.py: run one crawl and measure it.

    measure.py --out RESULT.json [--nginx-pid PID] [--timeout S] [--log FILE] -- CMD ARGS...

Runs CMD under /usr/bin/time -v (when present) in a session of its own and records:

  wall_s         monotonic wall time from start to exit (measured here)
  user_s, sys_s  CPU of the whole process tree, from /usr/bin/time -v -- i.e. wait4()'s
                 rusage of CMD, which includes every descendant that was waited for
                 (the scraper's coordinator reaps its workers, so theirs is included);
                 without /usr/bin/time, wait4() here gives the same figure
  maxrss_kb      /usr/bin/time's "Maximum resident set size": the largest single process
                 of the tree, NOT a sum
  procs          every process of the tree seen while polling /proc every --interval
                 seconds (default 0.05): pid, parent, command line, peak VmHWM, last
                 utime+stime.  The root (CMD itself) is the "coordinator"; every other
                 descendant is a "worker".
  coord_hwm_kb   the coordinator's VmHWM (its own peak RSS)
  worker_hwm_max_kb, worker_hwm_sum_kb   largest and summed worker VmHWM
  coord_anon_kb, worker_anon_max_kb, anon_sum_kb   the same for the sampled peak of
                 RssAnon (private memory: RSS without shared library and file pages)
  tree_rss_peak_kb  the largest sum of VmRSS over the live tree in one sample
  tree_anon_peak_kb the same for RssAnon
  tree_pss_peak_kb  the same for Pss (/proc/PID/smaps_rollup): proportional set size,
                 each shared page divided among the processes that map it, so the sum
                 over the tree is what the crawl really costs the machine's memory
  sampled_cpu_s  sum of the last sampled utime+stime of every process: a lower bound of
                 user_s + sys_s (a process's CPU in its last interval is missed), used to
                 cross-check that the rusage figure covers the workers
  nginx_cpu_s    CPU of the nginx worker process(es) during the run (/proc/PID/stat)
  machine_busy_s, other_cpu_s   all CPU time used on the machine during the run
                 (/proc/stat) and what is left after the tree, nginx and this poller:
                 neighbours' load
"""

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")
TIME_BIN = "/usr/bin/time"


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return None


def children(pid):
    out = []
    try:
        tasks = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return out
    for t in tasks:
        data = read("/proc/%d/task/%s/children" % (pid, t))
        if data:
            out.extend(int(x) for x in data.split())
    return out


def stat_cpu(pid):
    """utime+stime of one process in seconds, and its parent pid."""
    data = read("/proc/%d/stat" % pid)
    if not data:
        return None, None
    rest = data[data.rindex(b")") + 2:].split()
    # fields after the command: state ppid ... utime(14th overall -> index 11) stime(12)
    return (int(rest[11]) + int(rest[12])) / TICK, int(rest[1])


def status_mem(pid):
    data = read("/proc/%d/status" % pid)
    if not data:
        return None, None, None
    hwm = rss = None
    anon = 0
    for line in data.split(b"\n"):
        if line.startswith(b"VmHWM:"):
            hwm = int(line.split()[1])
        elif line.startswith(b"VmRSS:"):
            rss = int(line.split()[1])
        elif line.startswith(b"RssAnon:"):
            anon = int(line.split()[1])
    return hwm, rss, anon


def pss_kb(pid):
    """Proportional set size (kB) from /proc/PID/smaps_rollup; 0 when unreadable."""
    data = read("/proc/%d/smaps_rollup" % pid)
    for line in (data or b"").split(b"\n"):
        if line.startswith(b"Pss:"):
            return int(line.split()[1])
    return 0


def machine_busy():
    line = read("/proc/stat").split(b"\n")[0].split()[1:]
    v = [int(x) for x in line]
    idle = v[3] + (v[4] if len(v) > 4 else 0)
    return (sum(v[:8]) - idle) / TICK


def nginx_workers(master):
    return children(master) if master else []


def nginx_cpu(pids):
    total = 0.0
    for p in pids:
        c, _ = stat_cpu(p)
        total += c or 0.0
    return total


def parse_time(path):
    out = {}
    data = read(path)
    if not data:
        return out
    for line in data.decode(errors="replace").split("\n"):
        line = line.strip()
        if ":" not in line:
            continue
        k, _, v = line.rpartition(": ")
        v = v.strip()
        if k == "User time (seconds)":
            out["user_s"] = float(v)
        elif k == "System time (seconds)":
            out["sys_s"] = float(v)
        elif k == "Maximum resident set size (kbytes)":
            out["maxrss_kb"] = int(v)
        elif k == "Exit status":
            out["time_exit_status"] = int(v)
        elif k.startswith("Elapsed (wall clock) time"):
            parts = [float(x) for x in v.split(":")]
            s = 0.0
            for p in parts:
                s = s * 60 + p
            out["time_wall_s"] = s
        elif k == "Command terminated by signal":
            out["time_signal"] = int(v)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--nginx-pid", type=int, default=0, help="nginx master pid")
    ap.add_argument("--timeout", type=float, default=1800)
    ap.add_argument("--interval", type=float, default=0.05)
    ap.add_argument("--log", default=None, help="stdout+stderr of CMD go here")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    cmd = args.cmd[1:] if args.cmd and args.cmd[0] == "--" else args.cmd
    if not cmd:
        ap.error("no command")

    timefile = args.out + ".time"
    use_time = os.access(TIME_BIN, os.X_OK)
    full = [TIME_BIN, "-v", "-o", timefile, "--"] + cmd if use_time else cmd
    logf = open(args.log, "wb") if args.log else subprocess.DEVNULL

    ngx = nginx_workers(args.nginx_pid)
    ngx0 = nginx_cpu(ngx)
    busy0 = machine_busy()
    self0 = os.times()
    load0 = read("/proc/loadavg").decode().split()[:3]
    t0 = time.monotonic()
    p = subprocess.Popen(full, stdout=logf, stderr=subprocess.STDOUT if args.log else None,
                         start_new_session=True)
    procs = {}
    tree_peak = tree_anon_peak = tree_pss_peak = 0
    samples = 0
    timed_out = False
    rusage = None
    status = None
    while True:
        pid_done, st, ru = os.wait4(p.pid, os.WNOHANG)
        if pid_done == p.pid:
            status, rusage = st, ru
            break
        # the tree below the time process (or below CMD itself without time)
        roots = children(p.pid) if use_time else [p.pid]
        stack = [(r, None) for r in roots]
        total_rss = total_anon = total_pss = 0
        while stack:
            pid, parent = stack.pop()
            hwm, rss, anon = status_mem(pid)
            cpu, ppid = stat_cpu(pid)
            if hwm is None or cpu is None:
                continue
            rec = procs.get(pid)
            if rec is None:
                cl = read("/proc/%d/cmdline" % pid) or b""
                rec = procs[pid] = {
                    "pid": pid, "ppid": ppid, "root": parent is None,
                    "cmd": cl.replace(b"\0", b" ").decode(errors="replace").strip()[:200],
                    "hwm_kb": 0, "anon_kb": 0, "cpu_s": 0.0, "first_s": round(time.monotonic() - t0, 3),
                }
                # a fork of the root that has not exec'd yet shares its parent's pages and
                # inherits its VmHWM: not counted until it execs (or at all, if it never
                # does).  The zygote's forks never exec: they are workers, counted from
                # the first sight (by PSS their pages shared with the zygote are divided)
                prec = procs.get(parent) if parent is not None else None
                rec["unexeced"] = bool(prec and prec["root"] and prec["cmd"] == rec["cmd"])
            elif rec["unexeced"]:
                cl = (read("/proc/%d/cmdline" % pid) or b"").replace(b"\0", b" ").decode(errors="replace").strip()[:200]
                if cl and cl != rec["cmd"]:
                    rec["cmd"], rec["unexeced"], rec["hwm_kb"], rec["anon_kb"] = cl, False, 0, 0
            if hwm < rec["hwm_kb"]:  # VmHWM only falls at exec: a new image
                rec["hwm_kb"] = rec["anon_kb"] = 0
            rec["anon_kb"] = max(rec["anon_kb"], anon)
            rec["hwm_kb"] = max(rec["hwm_kb"], hwm)
            rec["cpu_s"] = max(rec["cpu_s"], cpu)
            rec["last_s"] = round(time.monotonic() - t0, 3)
            if not rec["unexeced"]:
                total_rss += rss or 0
                total_anon += anon
                total_pss += pss_kb(pid)
            for c in children(pid):
                stack.append((c, pid))
        tree_peak = max(tree_peak, total_rss)
        tree_anon_peak = max(tree_anon_peak, total_anon)
        tree_pss_peak = max(tree_pss_peak, total_pss)
        samples += 1
        if time.monotonic() - t0 > args.timeout:
            timed_out = True
            try:
                os.killpg(p.pid, signal.SIGTERM)
                time.sleep(2)
                os.killpg(p.pid, signal.SIGKILL)
            except OSError:
                pass
            _, status, rusage = os.wait4(p.pid, 0)
            break
        time.sleep(args.interval)
    wall = time.monotonic() - t0
    busy1 = machine_busy()
    ngx1 = nginx_cpu(ngx)
    self1 = os.times()
    if logf is not subprocess.DEVNULL:
        logf.close()

    res = {"cmd": cmd, "wall_s": round(wall, 4), "timed_out": timed_out,
           "loadavg_before": load0, "samples": samples, "interval_s": args.interval}
    if os.WIFEXITED(status):
        res["exit_status"] = os.WEXITSTATUS(status)
    else:
        res["exit_status"] = 128 + os.WTERMSIG(status)
    # wait4 of the time process (or of CMD): includes every descendant that was reaped
    res["wait4_cpu_s"] = round(rusage.ru_utime + rusage.ru_stime, 4)
    res["wait4_maxrss_kb"] = rusage.ru_maxrss
    if use_time:
        t = parse_time(timefile)
        res.update(t)
        if "time_exit_status" in t:
            res["exit_status"] = t["time_exit_status"]
        if "time_signal" in t:
            res["exit_status"] = 128 + t["time_signal"]
    else:
        res["user_s"] = round(rusage.ru_utime, 4)
        res["sys_s"] = round(rusage.ru_stime, 4)
        res["maxrss_kb"] = rusage.ru_maxrss
    res["cpu_s"] = round(res.get("user_s", 0) + res.get("sys_s", 0), 4)
    plist = sorted(procs.values(), key=lambda r: r["first_s"])
    roots = [r for r in plist if r["root"]]
    coord = roots[0] if roots else None
    workers = [r for r in plist if r is not coord and not r["unexeced"]]
    res["unexeced_forks"] = sum(1 for r in plist if r["unexeced"])
    res["coord_hwm_kb"] = coord["hwm_kb"] if coord else None
    res["workers"] = len(workers)
    res["worker_hwm_max_kb"] = max((w["hwm_kb"] for w in workers), default=0)
    res["worker_hwm_sum_kb"] = sum(w["hwm_kb"] for w in workers)
    res["hwm_sum_kb"] = (coord["hwm_kb"] if coord else 0) + res["worker_hwm_sum_kb"]
    res["coord_anon_kb"] = coord["anon_kb"] if coord else None
    res["worker_anon_max_kb"] = max((w["anon_kb"] for w in workers), default=0)
    res["anon_sum_kb"] = (coord["anon_kb"] if coord else 0) + sum(w["anon_kb"] for w in workers)
    res["tree_rss_peak_kb"] = tree_peak
    res["tree_anon_peak_kb"] = tree_anon_peak
    res["tree_pss_peak_kb"] = tree_pss_peak
    res["sampled_cpu_s"] = round(sum(r["cpu_s"] for r in plist), 3)
    res["nginx_cpu_s"] = round(ngx1 - ngx0, 3)
    res["nginx_workers"] = ngx
    poller = (self1.user - self0.user) + (self1.system - self0.system)
    res["poller_cpu_s"] = round(poller, 3)
    res["machine_busy_s"] = round(busy1 - busy0, 3)
    res["other_cpu_s"] = round(max(0.0, busy1 - busy0 - res["cpu_s"] - res["nginx_cpu_s"] - poller), 3)
    res["procs"] = plist if len(plist) <= 100 else plist[:100]
    res["procs_total"] = len(plist)
    with open(args.out, "w") as f:
        json.dump(res, f, indent=1)
    return res["exit_status"]


if __name__ == "__main__":
    sys.exit(main())
