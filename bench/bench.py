"""fal-mcp benchmark driver (see bench/run.sh). Everything runs on 127.0.0.1 and stops by itself.

Measures, in one run: the limit (a bare axum handler returning tools/list's bytes) against
tools/list through the full server; search_models proxied against the same request sent straight
to the fake fal, cache cold and warm; run_model's delay after COMPLETED and its status requests;
cold start; RSS idle and under load; response sizes. Writes BENCHMARKS.md and bench/results/.
"""
import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RELEASE = os.path.join(ROOT, "target", "release")
# The server side (fal-mcp, the fake fal, the bare limit) and the load generator each get cores of
# their own, so neither steals cycles from the other: server on CPU 0, wrk on CPU 1.
PIN = os.cpu_count() >= 2 and os.environ.get("BENCH_PIN", "1") != "0"
SERVER_CPU, LOAD_CPU = "0", "1"


def pinned(args, cpu):
    return ["taskset", "-c", cpu, *args] if PIN else list(args)
KEY = "bench-id:bench-secret"
MCP_HEADERS = {
    "Authorization": f"Bearer {KEY}",
    "Content-Type": "application/json",
    "Accept": "application/json, text/event-stream",
    "MCP-Protocol-Version": "2025-11-25",
}
LIST = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}


def call_body(name, arguments, rid=1):
    return {"jsonrpc": "2.0", "id": rid, "method": "tools/call", "params": {"name": name, "arguments": arguments}}


def post(url, body, headers=MCP_HEADERS, timeout=30):
    data = json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.status, response.read()


def start(args, env=None, first_line_pattern=None, stream="stdout"):
    """Starts a process and returns it with the first URL it prints."""
    process = subprocess.Popen(pinned(args, SERVER_CPU), env=env, stdout=subprocess.PIPE if stream == "stdout" else subprocess.DEVNULL,
                               stderr=subprocess.PIPE if stream == "stderr" else subprocess.DEVNULL, text=True)
    source = process.stdout if stream == "stdout" else process.stderr
    deadline = time.time() + 15
    while time.time() < deadline:
        line = source.readline()
        match = re.search(first_line_pattern or r"(http://[0-9.:]+)", line)
        if match:
            threading.Thread(target=lambda: [None for _ in source], daemon=True).start()
            return process, match.group(1)
    process.kill()
    raise SystemExit(f"{args[0]} did not start")


def server_env(fake, extra=None):
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PORT": "0",
        "FAL_API_URL": f"{fake}/api",
        "FAL_QUEUE_URL": f"{fake}/queue",
        "FAL_REST_URL": f"{fake}/rest",
        "FAL_DOCS_URL": f"{fake}/docs",
        # The load generator is one address: its 64 connections plus the ones the previous run is
        # still closing would meet the default cap of 64 per address (one refusal in 22,000 did).
        "FAL_MCP_MAX_CONNECTIONS_PER_ADDRESS": "128",
    }
    env.update(extra or {})
    return env


def start_server(fake, results, extra=None):
    """Starts fal-mcp with its log (one line per request, as in production) going to a file, so that
    reading it costs the benchmark nothing; returns it with its base URL."""
    log = open(os.path.join(results, "server.log"), "w")
    process = subprocess.Popen(pinned([os.path.join(RELEASE, "fal-mcp")], SERVER_CPU), env=server_env(fake, extra),
                               stdout=subprocess.DEVNULL, stderr=log)
    deadline = time.time() + 15
    while time.time() < deadline:
        with open(log.name) as f:
            match = re.search(r"listening on (http://[0-9.:]+)/mcp", f.read())
        if match:
            return process, match.group(1)
        time.sleep(0.01)
    process.kill()
    raise SystemExit("fal-mcp did not start")


def wait_for_index(results, timeout=60):
    """Waits until the server's log says the catalog index is built (a long-running server embeds
    fal's whole catalog in the background at start), so no measurement overlaps that work; returns
    how long the build took, in ms."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        with open(os.path.join(results, "server.log")) as f:
            line = next((l for l in f if "catalog index built" in l), None)
        if line:
            return float(re.search(r"millis\D+(\d+)", line).group(1))
        time.sleep(0.05)
    raise SystemExit("fal-mcp did not build its catalog index")


def lua_script(path, method, headers, body=None, body_template=None):
    """A wrk script for one request shape; body_template gets a counter for distinct requests."""
    lines = [f'wrk.method = "{method}"']
    for name, value in headers.items():
        lines.append(f'wrk.headers["{name}"] = "{value}"')
    if body is not None:
        lines.append("wrk.body = " + json.dumps(body))
    if body_template is not None:
        lines.append("local n = 0")
        lines.append("request = function()")
        lines.append("  n = n + 1")
        lines.append(f"  return wrk.format(nil, nil, nil, string.format({json.dumps(body_template)}, n))")
        lines.append("end")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def wrk(url, script, connections, seconds, results, label):
    threads = min(1 if PIN else 2, connections)
    out = subprocess.run(pinned(["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--latency",
                          "-s", script, url], LOAD_CPU), capture_output=True, text=True, check=True).stdout
    with open(os.path.join(results, f"wrk-{label}.txt"), "w") as f:
        f.write(out)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    pct = {}
    for p in ("50", "99"):
        value, unit = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)\b", out).groups()
        pct[p] = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if non2xx:
        raise SystemExit(f"{label}: {non2xx.group(1)} failed responses (see {results}/wrk-{label}.txt)")
    return {"rps": rps, "p50": pct["50"], "p99": pct["99"]}


class PeakRss:
    """Samples a process's RSS every 100 ms while the `with` block runs; `peak` is the highest seen."""

    def __init__(self, pid):
        self.pid, self.samples, self.stop = pid, [rss_kib(pid)], threading.Event()
        self.thread = threading.Thread(target=self._sample)

    def _sample(self):
        while not self.stop.is_set():
            self.samples.append(rss_kib(self.pid))
            time.sleep(0.1)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *_):
        self.stop.set()
        self.thread.join()

    @property
    def peak(self):
        """The highest RSS sampled while the block ran (VmHWM would also count the start's index
        build, which bench.py reports on its own)."""
        return max(self.samples)


def rss_kib(pid, field="VmRSS"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10, help="length of each load run")
    parser.add_argument("--soak", type=int, default=30, help="length of the 64-connection memory run")
    parser.add_argument("--jobs", type=int, default=20, help="run_model jobs to time")
    parser.add_argument("--report-only", action="store_true", help="rewrite BENCHMARKS.md from the last run's measurements")
    opts = parser.parse_args()
    results = os.path.join(ROOT, "bench", "results")
    if opts.report_only:
        with open(os.path.join(results, "measurements.json")) as f:
            write_report(json.load(f))
        return
    os.makedirs(results, exist_ok=True)
    scripts = os.path.join(results, "scripts")
    os.makedirs(scripts, exist_ok=True)
    procs = []
    try:
        fake_proc, fake = start([os.path.join(RELEASE, "examples", "fake_fal")])
        procs.append(fake_proc)
        server_proc, server = start_server(fake, results)
        procs.append(server_proc)
        mcp = f"{server}/mcp"
        index_ms = wait_for_index(results)
        time.sleep(1.0)
        idle_rss = rss_kib(server_proc.pid)
        commit = version(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"])
        m = {"idle_rss_kib": idle_rss, "index_ms": index_ms, "seconds": opts.seconds, "pinned": PIN, "commit": commit}
        # The same server with no catalog to fetch (its API URL refuses connections): the idle
        # footprint without the meaning signal, which a long-running server builds at start.
        bare_proc, _ = start_server(fake, results, {"FAL_API_URL": "http://127.0.0.1:9/api"})
        time.sleep(1.0)
        m["idle_rss_bare_kib"] = rss_kib(bare_proc.pid)
        bare_proc.terminate()
        bare_proc.wait()

        # Sizes.
        _, tools_list = post(mcp, LIST)
        with open(os.path.join(results, "tools_list.json"), "wb") as f:
            f.write(tools_list)
        m["tools_list_bytes"] = len(tools_list)
        # get_model_schema on every real fal document the fake serves (tests/fixtures/openapi).
        fixtures = os.path.join(ROOT, "tests", "fixtures", "openapi")
        sizes = []
        for name in sorted(n for n in os.listdir(fixtures) if n.endswith(".json")):
            endpoint = name[:-5].replace("__", "/")
            with open(os.path.join(fixtures, name)) as f:
                raw = len(json.dumps(json.load(f), separators=(",", ":"), ensure_ascii=False).encode())
            _, schema = post(mcp, call_body("get_model_schema", {"endpoint_id": endpoint}))
            structured = json.loads(schema)["result"]["structuredContent"]
            answer = len(json.dumps(structured, separators=(",", ":"), ensure_ascii=False).encode())
            sizes.append({"endpoint_id": endpoint, "answer_bytes": answer, "raw_bytes": raw,
                          "examples_omitted": structured.get("examples_omitted", 0)})
        with open(os.path.join(results, "schema_sizes.json"), "w") as f:
            json.dump(sizes, f, indent=1)
        ratios = sorted(s["answer_bytes"] / s["raw_bytes"] for s in sizes)
        m["schema_ratio_median"] = ratios[len(ratios) // 2]
        m["schema_ratio_min"], m["schema_ratio_max"] = ratios[0], ratios[-1]
        m["schema_documents"] = len(ratios)

        # 1 and 2: the limit against tools/list through the whole server.
        limit_proc, limit = start([os.path.join(RELEASE, "examples", "bench_limit"), os.path.join(results, "tools_list.json")])
        procs.append(limit_proc)
        list_script = lua_script(os.path.join(scripts, "tools_list.lua"), "POST", MCP_HEADERS, body=json.dumps(LIST))
        for c in (1, 16, 64):
            m[f"limit_c{c}"] = wrk(f"{limit}/mcp", list_script, c, opts.seconds, results, f"limit-c{c}")
            m[f"list_c{c}"] = wrk(mcp, list_script, c, opts.seconds, results, f"tools_list-c{c}")

        # 3: search_models proxied against the same request straight to the fake.
        fal_headers = {"Authorization": f"Key {KEY}"}
        warm_direct = lua_script(os.path.join(scripts, "direct_warm.lua"), "GET", fal_headers)
        cold_direct = lua_script(os.path.join(scripts, "direct_cold.lua"), "GET", fal_headers)
        with open(cold_direct, "a") as f:
            f.write('local n = 0\nrequest = function()\n  n = n + 1\n  return wrk.format(nil, "/api/v1/models?limit=20&q=cold" .. n)\nend\n')
        warm_proxied = lua_script(os.path.join(scripts, "proxied_warm.lua"), "POST", MCP_HEADERS,
                                  body=json.dumps(call_body("search_models", {"query": "flux"})))
        template = json.dumps(call_body("search_models", {"query": "coldQUERY"})).replace("%", "%%").replace("QUERY", "%d")
        cold_proxied = lua_script(os.path.join(scripts, "proxied_cold.lua"), "POST", MCP_HEADERS, body_template=template)
        for c in (1, 16):
            m[f"direct_warm_c{c}"] = wrk(f"{fake}/api/v1/models?limit=20&q=flux", warm_direct, c, opts.seconds, results, f"direct-warm-c{c}")
            m[f"proxied_warm_c{c}"] = wrk(mcp, warm_proxied, c, opts.seconds, results, f"proxied-warm-c{c}")
            m[f"direct_cold_c{c}"] = wrk(f"{fake}/api/v1/models", cold_direct, c, opts.seconds, results, f"direct-cold-c{c}")
            m[f"proxied_cold_c{c}"] = wrk(mcp, cold_proxied, c, opts.seconds, results, f"proxied-cold-c{c}")

        # 7: recommend_model. The first call fetches the whole catalog (keyless, 100 a page) and
        # embeds it; later calls rank the cached index: one repeated task, then a new one each time.
        fixture = json.load(open(os.path.join(ROOT, "tests", "fixtures", "catalog.json")))
        known = {e["endpoint_id"] for e in fixture}
        real = json.load(open(os.path.join(ROOT, "tests", "fixtures", "catalog-real.json")))["models"]
        m["catalog_models"] = len(fixture) + sum(1 for e in real if e["status"] == "active" and e["endpoint_id"] not in known)
        rss_before = rss_kib(server_proc.pid)
        began = time.perf_counter()
        post(mcp, call_body("recommend_model", {"task": "remove the background from my product photo"}), timeout=120)
        m["recommend_first_ms"] = (time.perf_counter() - began) * 1000.0
        time.sleep(1.0)
        m["index_rss_kib"] = rss_kib(server_proc.pid) - rss_before
        m["idle_rss_with_index_kib"] = rss_kib(server_proc.pid)
        tasks = ["quitar el fondo de esta foto", "a watercolor fox reading a book", "make my voice memo sound clean",
                 "turn this photo into a 5 second video", "karaoke version of our song"]
        for task in tasks:
            post(mcp, call_body("recommend_model", {"task": task}))
        warm_rec = lua_script(os.path.join(scripts, "recommend_warm.lua"), "POST", MCP_HEADERS,
                              body=json.dumps(call_body("recommend_model", {"task": "remove the background from my product photo"})))
        rec_template = json.dumps(call_body("recommend_model", {"task": "a photo of QUERY dogs playing in the snow"})).replace("%", "%%").replace("QUERY", "%d")
        new_rec = lua_script(os.path.join(scripts, "recommend_new.lua"), "POST", MCP_HEADERS, body_template=rec_template)
        m["recommend_warm_c1"] = wrk(mcp, warm_rec, 1, opts.seconds, results, "recommend-warm-c1")
        m["recommend_new_c1"] = wrk(mcp, new_rec, 1, opts.seconds, results, "recommend-new-c1")
        m["recommend_new_c16"] = wrk(mcp, new_rec, 16, opts.seconds, results, "recommend-new-c16")
        # fal's search for the words the server sends for those tasks (its keywords, 30 a page),
        # straight to the fake: the part of a new task's time that is fal's, not the server's.
        new_search = lua_script(os.path.join(scripts, "recommend_search_direct.lua"), "GET", fal_headers)
        with open(new_search, "a") as f:
            f.write('local n = 0\nrequest = function()\n  n = n + 1\n'
                    '  return wrk.format(nil, "/api/v1/models?q=photo+" .. n .. "+dogs+playing+snow&limit=30")\nend\n')
        m["recommend_search_direct_c1"] = wrk(f"{fake}/api/v1/models", new_search, 1, opts.seconds, results, "recommend-search-direct-c1")

        # 6: peak RSS under 64 connections for the soak period (warm search_models).
        with PeakRss(server_proc.pid) as rss:
            m["soak_c64"] = wrk(mcp, warm_proxied, 64, opts.soak, results, "soak-c64")
        m["peak_rss_kib"] = rss.peak
        m["hwm_rss_kib"] = rss_kib(server_proc.pid, "VmHWM")

        # 8: the sign-in's replay memory, in this process and in Redis (bench/replay.py).
        import replay
        m.update(replay.measure(fake, results, scripts, opts.seconds))

        # 4: run_model with a fake job of fixed duration.
        run_ms = 1000
        post(f"{fake}/_fake/script", {"endpoint_id": "fal-ai/flux/schnell", "queue_ms": 0, "run_ms": run_ms},
             headers={"Content-Type": "application/json"})
        received = {}
        for i in range(opts.jobs):
            _, answer = post(mcp, call_body("run_model", {"endpoint_id": "fal-ai/flux/schnell", "input": {"prompt": f"p{i}"}}))
            done_at = time.time() * 1000.0
            result = json.loads(answer)["result"]["structuredContent"]
            assert result["status"] == "COMPLETED", result
            received[result["request_id"]] = done_at
        with urllib.request.urlopen(f"{fake}/_fake/jobs") as response:
            jobs = [j for j in json.load(response) if j["request_id"] in received]
        delays = sorted(received[j["request_id"]] - j["completed_at_ms"] for j in jobs)
        requests_per_job = [j["status_calls"] + j["stream_opens"] for j in jobs]
        m["run_delay_p50"] = statistics.median(delays)
        m["run_delay_p99"] = delays[min(len(delays) - 1, int(len(delays) * 0.99))]
        m["run_status_requests"] = statistics.mean(requests_per_job)
        m["run_ms"] = run_ms
        with open(os.path.join(results, "run_model.json"), "w") as f:
            json.dump({"delays_ms": delays, "status_requests_per_job": requests_per_job}, f, indent=1)

        # 5: cold start, process start to the first successful tools/list, median of 20.
        starts = []
        for _ in range(20):
            began = time.perf_counter()
            process = subprocess.Popen(pinned([os.path.join(RELEASE, "fal-mcp")], SERVER_CPU), env=server_env(fake, {"PORT": "18931"}),
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            while True:
                try:
                    status, _ = post("http://127.0.0.1:18931/mcp", LIST, timeout=1)
                    if status == 200:
                        break
                except OSError:
                    time.sleep(0.0005)
            starts.append((time.perf_counter() - began) * 1000.0)
            process.terminate()
            process.wait()
        m["cold_start_ms"] = statistics.median(starts)
        with open(os.path.join(results, "cold_start.json"), "w") as f:
            json.dump(starts, f)
    finally:
        for process in procs:
            process.terminate()
        # The server's per-request log lines run to hundreds of MB under load; they are not kept.
        if os.path.exists(os.path.join(results, "server.log")):
            os.remove(os.path.join(results, "server.log"))
    with open(os.path.join(results, "measurements.json"), "w") as f:
        json.dump(m, f, indent=1)
    write_report(m)


def version(args):
    try:
        return subprocess.run(args, capture_output=True, text=True).stdout.strip().splitlines()[0]
    except (OSError, IndexError):
        return "unknown"


def before_after(m):
    """The restructure's before and after (issue 13), both pinned, from bench/before-issue-13."""
    path = os.path.join(ROOT, "bench", "before-issue-13", "measurements.json")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        b = json.load(f)
    rows = []
    for c in (1, 16, 64):
        old, new = b[f"list_c{c}"]["rps"] / b[f"limit_c{c}"]["rps"], m[f"list_c{c}"]["rps"] / m[f"limit_c{c}"]["rps"]
        rows.append(f"| tools/list, {c} conn: share of the limit | {old:.2f} ({b[f'list_c{c}']['rps']:,.0f} req/s) | {new:.2f} ({m[f'list_c{c}']['rps']:,.0f} req/s) |")
    for kind in ("warm", "cold"):
        old = b[f"proxied_{kind}_c1"]["p50"] - b[f"direct_{kind}_c1"]["p50"]
        new = m[f"proxied_{kind}_c1"]["p50"] - m[f"direct_{kind}_c1"]["p50"]
        rows.append(f"| search_models {kind}, added p50 | {old:+.3f} ms | {new:+.3f} ms |")
    rows.append(f"| run_model, result after COMPLETED, p50 | {b['run_delay_p50']:.1f} ms | {m['run_delay_p50']:.1f} ms |")
    rows.append(f"| cold start, median of 20 | {b['cold_start_ms']:.1f} ms | {m['cold_start_ms']:.1f} ms |")
    rows.append(f"| RSS idle / peak at 64 connections | {b['idle_rss_kib'] / 1024:.1f} / {b['peak_rss_kib'] / 1024:.1f} MiB | {m['idle_rss_kib'] / 1024:.1f} / {m['peak_rss_kib'] / 1024:.1f} MiB |")
    return [
        "## Before and after the restructure",
        "",
        "The same pinned benchmark on c0e8a6e (before issues 8, 13 and 14; bench/before-issue-13/) and on this commit.",
        "",
        "| measure | before | after |",
        "| --- | --- | --- |",
        *rows,
        "",
    ]


def recorded(name):
    """bench/results/<name>, written by a step run outside this script, or None when it has not run."""
    path = os.path.join(ROOT, "bench", "results", name)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def result_sizes_report():
    """The result text of fal's five documented flows (tests/integration/result_sizes.rs), when recorded."""
    k = recorded("result_sizes.json")
    if k is None:
        return []
    rows = "\n".join(f"| {name} | {size:,} B |" for name, size in k["flows"].items())
    return [
        "## What a model reads: fal's five documented flows",
        "",
        "The content blocks of each tools/call result (the text a model reads, and the resource links), through the real"
        " server and client against the fake fal (tests/integration/result_sizes.rs). Budget: 10 KB for the five.",
        "",
        "| flow | result text |",
        "| --- | --- |",
        rows,
        f"| **all five** | **{k['total']:,} B** |",
        "",
        *([f"Measured at {k['commit']}.", ""] if k.get("commit") else []),
        f"The video flow is {k['video_steps']}. Said once: a poll's `next` no longer repeats the ids the answer carries,"
        " a job's text leaves out `media` (the files are its resource links; the structured result keeps it for the view),"
        " search results leave out empty fields and an active model's status.",
        "",
    ]


def soak_report():
    """The soak's numbers (bench/soak.py), when it has run."""
    k = recorded("soak.json")
    if k is None:
        return []
    rss = k["rss_kib"]
    outcomes = "\n".join(f"| {name} | {count:,} |" for name, count in k["outcomes"].items())
    slow = ", ".join(f"{name} ×{count}" for name, count in k["slow_clients"].items())
    return [
        "## Soak",
        "",
        f"`bench/soak.py`: {k['calls']:,} calls from {k['callers']} callers across {k['keys']} keys in {k['seconds']} s, with every"
        f" fifth catalog and queue request of the fake failing (503, 429 with Retry-After, 500, a cut connection, in turn),"
        " while slow clients stall their headers or bodies.",
        "",
        "| call: outcome | count |",
        "| --- | --- |",
        outcomes,
        "",
        f"- jobs fal accepted: {k['jobs_accepted']:,}; found again afterwards: {k['jobs_accepted'] - k['jobs_lost']:,} (lost: {k['jobs_lost']});"
        f" run_model errors after acceptance flagged retryable: {k['run_model_errors_after_acceptance_flagged_retryable']}.",
        f"- slowest run_model: {k['slowest_run_model_s']} s against its {k['run_model_deadline_s']} s deadline.",
        f"- slow clients: {slow}; the longest held its connection {k['slow_client_longest_s']} s (header and body deadlines 5 s in the soak).",
        f"- RSS: {rss['before'] / 1024:.1f} MiB before, {rss['peak'] / 1024:.1f} MiB peak, {rss['load_end'] / 1024:.1f} MiB when the load ended,"
        f" {rss['after'] / 1024:.1f} MiB after {k['settle_s']} s idle (past the caches' 60 s lifetime).",
        "",
    ]


def write_report(m):
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.machine())
    mem_kib = int(next(l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal")))
    # The commit the measurements ran on: --report-only rewrites the report later, at another.
    commit = m.get("commit") or version(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"])
    wrk_version = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
    wrk_version = (wrk_version.stdout + wrk_version.stderr).strip().splitlines()[0]

    def verdict(ok):
        return "met" if ok else "**missed**"

    added = lambda kind, p: m[f"proxied_{kind}_c1"][p] - m[f"direct_{kind}_c1"][p]
    ratio64 = m["list_c64"]["rps"] / m["limit_c64"]["rps"]
    rows = []
    for c in (1, 16, 64):
        lim, srv = m[f"limit_c{c}"], m[f"list_c{c}"]
        rows.append(f"| tools/list, {c} conn | {lim['rps']:,.0f} req/s, p50 {lim['p50']:.3f} ms, p99 {lim['p99']:.3f} ms "
                    f"| {srv['rps']:,.0f} req/s, p50 {srv['p50']:.3f} ms, p99 {srv['p99']:.3f} ms | {srv['rps'] / lim['rps']:.2f} |")
    search = []
    for kind in ("warm", "cold"):
        for c in (1, 16):
            d, p = m[f"direct_{kind}_c{c}"], m[f"proxied_{kind}_c{c}"]
            search.append(f"| search_models, {kind} cache, {c} conn | {d['rps']:,.0f} req/s, p50 {d['p50']:.3f} ms, p99 {d['p99']:.3f} ms "
                          f"| {p['rps']:,.0f} req/s, p50 {p['p50']:.3f} ms, p99 {p['p99']:.3f} ms "
                          f"| {p['p50'] - d['p50']:+.3f} ms / {p['p99'] - d['p99']:+.3f} ms | {p['rps'] / d['rps']:.2f} |")
    per_200ms = m["run_status_requests"] / (m["run_ms"] / 200.0)
    targets = [
        ("tools/list at 64 connections, share of the limit's req/s", "≥ 0.50", f"{ratio64:.2f}", ratio64 >= 0.5),
        ("search_models warm, added p50 latency", "< 0.2 ms", f"{added('warm', 'p50'):.3f} ms", added("warm", "p50") < 0.2),
        ("search_models cold, added p50 latency (ranks the whole catalog by meaning)", "< 5 ms", f"{added('cold', 'p50'):.3f} ms", added("cold", "p50") < 5.0),
        ("run_model, result after COMPLETED, p50", "< 100 ms", f"{m['run_delay_p50']:.1f} ms (p99 {m['run_delay_p99']:.1f} ms)", m["run_delay_p50"] < 100),
        ("run_model, status requests per 200 ms of job", "≤ 1", f"{per_200ms:.2f} ({m['run_status_requests']:.1f} per {m['run_ms']} ms job)", per_200ms <= 1),
        ("cold start to first tools/list, median of 20", "< 50 ms", f"{m['cold_start_ms']:.1f} ms", m["cold_start_ms"] < 50),
        ("RSS idle without the catalog index (no catalog to fetch)", "< 20 MB", f"{m['idle_rss_bare_kib'] / 1024:.1f} MiB", m["idle_rss_bare_kib"] < 20 * 1000),
        ("RSS idle, the meaning signal and the catalog's index built at start", "< 64 MiB",
         f"{m['idle_rss_kib'] / 1024:.1f} MiB (+{(m['idle_rss_kib'] - m['idle_rss_bare_kib']) / 1024:.1f} MiB for the signal)", m["idle_rss_kib"] < 64 * 1024),
        ("RSS idle after recommend_model and search_models calls", "< 64 MiB", f"{m['idle_rss_with_index_kib'] / 1024:.1f} MiB",
         m["idle_rss_with_index_kib"] < 64 * 1024),
        ("recommend_model, a new task each call (warm index), p50", "< 10 ms", f"{m['recommend_new_c1']['p50']:.2f} ms (p99 {m['recommend_new_c1']['p99']:.2f} ms)",
         m["recommend_new_c1"]["p50"] < 10),
        ("RSS peak, 64 connections for the soak", "< 64 MiB", f"{m['peak_rss_kib'] / 1024:.1f} MiB", m["peak_rss_kib"] < 64 * 1024),
        ("RSS high-water mark since start (the catalog index build included)", "< 64 MiB",
         f"{m['hwm_rss_kib'] / 1024:.1f} MiB", m["hwm_rss_kib"] < 64 * 1024),
        ("tools/list response", "< 13 KB", f"{m['tools_list_bytes']:,} bytes", m["tools_list_bytes"] < 13 * 1000),
        (f"get_model_schema answer vs raw OpenAPI, median of {m['schema_documents']} real fal documents", "≤ 0.40",
         f"{m['schema_ratio_median']:.2f} (from {m['schema_ratio_min']:.2f} to {m['schema_ratio_max']:.2f})", m["schema_ratio_median"] <= 0.40),
    ]
    lines = [
        "# Benchmarks",
        "",
        "Written by `bench/run.sh` (one command; it installs wrk 4.1.0 from Debian, builds the release",
        "binaries and drives everything on 127.0.0.1). Raw wrk outputs, scripts and samples are in",
        "`bench/results/`. Every number below comes from one run on one machine; compare ratios, not",
        "absolutes, across machines.",
        "",
        f"- machine: {os.cpu_count()} CPUs ({cpu}), {mem_kib / 1024 / 1024:.1f} GiB RAM, {platform.system()} {platform.release()}",
        f"- fal-mcp {commit}, {version(['rustc', '--version'])}, {wrk_version}, Python {platform.python_version()}",
        f"- load: wrk, {m['seconds']} s per run; " + (
            "pinned with taskset: fal-mcp, the fake fal and the limit on CPU 0, wrk (1 thread) on CPU 1"
            if m.get("pinned") else "the load generator shares the machine's cores with the server"),
        "",
        "## Targets",
        "",
        "| what | target | measured | |",
        "| --- | --- | --- | --- |",
    ]
    lines += [f"| {what} | {target} | {value} | {verdict(ok)} |" for what, target, value, ok in targets]
    lines += [
        "",
        "## The limit against the full server",
        "",
        "The limit is a bare axum handler in the same release profile answering every POST with the",
        "bytes of the server's own tools/list response; the server path adds the Host/Origin guard, auth,",
        "accounting, the request's log line and rmcp.",
        "",
        "| load | limit | fal-mcp | ratio |",
        "| --- | --- | --- | --- |",
        *rows,
        "",
        "## search_models through the server against straight to the fake fal",
        "",
        "The fake answers at once; warm repeats one query (served from the per-key cache), cold sends a",
        "new query every time (every request goes to the fake).",
        "",
        "| load | straight to the fake | through fal-mcp | added p50 / p99 | throughput ratio |",
        "| --- | --- | --- | --- | --- |",
        *search,
        "",
        "## recommend_model and the meaning index",
        "",
        f"The first call after a start fetched fal's whole catalog from the fake ({m['catalog_models']:,} models, keyless,",
        f"100 a page) and embedded every model's text at start, in {m['index_ms'] / 1000:.1f} s on the one core it is pinned to; the first recommend_model answered in {m['recommend_first_ms']:,.0f} ms."
        f" Idle RSS: {m['idle_rss_bare_kib'] / 1024:.1f} MiB for the same server without a catalog to fetch, {m['idle_rss_kib'] / 1024:.1f} MiB"
        f" with the signal's table and the index built, {m['idle_rss_with_index_kib'] / 1024:.1f} MiB after the calls below. Then:",
        "",
        "| load | req/s | p50 | p99 |",
        "| --- | --- | --- | --- |",
        *[f"| recommend_model, {label} | {m[key]['rps']:,.0f} | {m[key]['p50']:.2f} ms | {m[key]['p99']:.2f} ms |"
          for key, label in (("recommend_warm_c1", "the same task, 1 conn"), ("recommend_new_c1", "a new task each call, 1 conn"),
                             ("recommend_new_c16", "a new task each call, 16 conn"))],
        f"| fal's search for a new task's words, straight to the fake, 1 conn | {m['recommend_search_direct_c1']['rps']:,.0f} |"
        f" {m['recommend_search_direct_c1']['p50']:.2f} ms | {m['recommend_search_direct_c1']['p99']:.2f} ms |",
        "",
        f"Of a new task's p50, {m['recommend_search_direct_c1']['p50']:.2f} ms is the fake's own search (on the server's core);"
        f" the server's part is about {m['recommend_new_c1']['p50'] - m['recommend_search_direct_c1']['p50']:.2f} ms.",
        "",
        "## run_model, memory, start-up and sizes",
        "",
        f"- run_model, {len(json.load(open(os.path.join(ROOT, 'bench', 'results', 'run_model.json')))['delays_ms'])} jobs of {m['run_ms']} ms each,"
        f" one at a time: the result reached the client {m['run_delay_p50']:.1f} ms (p50) / {m['run_delay_p99']:.1f} ms (max)"
        f" after the fake's COMPLETED time, with {m['run_status_requests']:.1f} status requests per job (the status stream, one per job).",
        f"- cold start, process start to the first successful tools/list: {m['cold_start_ms']:.1f} ms (median of 20).",
        f"- RSS: {m['idle_rss_kib'] / 1024:.1f} MiB idle; {m['peak_rss_kib'] / 1024:.1f} MiB peak with 64 connections of warm"
        f" search_models ({m['soak_c64']['rps']:,.0f} req/s).",
        f"- tools/list: {m['tools_list_bytes']:,} bytes; get_model_schema against the compact JSON of fal's own OpenAPI"
        f" document, for each of the {m['schema_documents']} real documents in tests/fixtures/openapi (bench/results/schema_sizes.json):",
        "",
        "| endpoint | answer | raw document | ratio | examples left out |",
        "| --- | --- | --- | --- | --- |",
        *[f"| `{s['endpoint_id']}` | {s['answer_bytes']:,} | {s['raw_bytes']:,} | {s['answer_bytes'] / s['raw_bytes']:.2f} | {s['examples_omitted']} |"
          for s in json.load(open(os.path.join(ROOT, 'bench', 'results', 'schema_sizes.json')))],
        "",
    ]
    import replay
    lines += replay.report(m) + result_sizes_report() + before_after(m) + soak_report()
    extra = os.path.join(ROOT, "bench", "NOTES.md")
    if os.path.exists(extra):
        lines += [open(extra).read().rstrip(), ""]
    with open(os.path.join(ROOT, "BENCHMARKS.md"), "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines[:40]))


if __name__ == "__main__":
    sys.exit(main())
