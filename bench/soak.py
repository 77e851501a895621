"""The soak: the release server against the fake fal with every fifth catalog and queue request
failing (503, 429 with Retry-After, 500, a cut connection, in turn), 64 callers making 10,000 calls
across 200 keys (searches, schemas, prices, runs, submits, checks, recommendations and 650
malformed calls), while 200 slow clients stall their headers or bodies. Loopback only; every part
is bounded in count and time and stops by itself. Run by bench/run.sh after the benchmark, or alone
once the release binaries exist: python3 bench/soak.py. Writes bench/results/soak.json.

What it checks, and counts in the report: no call fails at the protocol level, every job fal accepted
comes back (completed, or still running with its request id), no answer after acceptance is flagged
retryable for a tool that would submit again, slow clients are cut off by their deadlines, and RSS
before, at its peak and after the load.
"""
import argparse
import collections
import concurrent.futures
import json
import os
import socket
import statistics
import threading
import time
import http.client

from bench import LOAD_CPU, PIN, RELEASE, ROOT, PeakRss, call_body, post, rss_kib, start, start_server, wait_for_index

RESULTS = os.path.join(ROOT, "bench", "results")
FLUX = "fal-ai/flux/schnell"
REAL = ["fal-ai/flux/dev", "fal-ai/ideogram/v3", "fal-ai/veo3", "fal-ai/recraft/v3/text-to-image",
        "sonauto/v2/text-to-music", "tripo3d/tripo/v2.5/image-to-3d", "fal-ai/wan/v2.2-a14b/image-to-video"]
WORDS = ["flux", "video", "upscale", "speech", "music", "3d", "lip sync", "portrait", "logo", "edit"]
MALFORMED = [
    ("check_job", {"endpoint_id": None, "request_id": "x"}),
    ("search_models", {"limit": "ten"}),
    ("run_model", {"endpoint_id": FLUX, "input": "a fox"}),
    ("get_pricing", {"endpoint_ids": "fal-ai/flux/dev"}),
    ("upload_file", {"path": "/etc/passwd"}),
    ("get_model_schema", {"endpoint_id": "../../v1/keys"}),
    ("submit_job", {"endpoint_id": FLUX, "input": {}, "webhook_url": 3}),
    ("recommend_model", {"task": ""}),
]


def headers_for(key):
    return {"Authorization": f"Bearer {key}", "Content-Type": "application/json",
            "Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-11-25"}


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.outcomes = collections.Counter()
        self.latency = collections.defaultdict(list)
        self.jobs = {}
        self.hazards = []
        self.slowest_run = (0.0, 0)

    def add(self, tool, outcome, seconds):
        with self.lock:
            self.outcomes[f"{tool}: {outcome}"] += 1
            self.latency[tool].append(seconds)


def one_call(mcp, key, tool, arguments, source="127.0.0.1", timeout=60):
    """One tools/call from the loopback address `source` (each caller is a client of its own)."""
    started = time.perf_counter()
    host, port = mcp.removeprefix("http://").split("/")[0].rsplit(":", 1)
    try:
        connection = http.client.HTTPConnection(host, int(port), timeout=timeout, source_address=(source, 0))
        connection.request("POST", "/mcp", body=json.dumps(call_body(tool, arguments)), headers=headers_for(key))
        response = connection.getresponse()
        body, status = response.read(), response.status
        connection.close()
    except OSError as e:
        return f"connection: {type(e).__name__}", None, time.perf_counter() - started
    if status != 200:
        return f"HTTP {status}", None, time.perf_counter() - started
    text = body.decode()
    if not text.lstrip().startswith("{"):
        text = [l for l in text.splitlines() if l.startswith("data:")][-1][5:]
    message = json.loads(text)
    if "error" in message:
        return f"json-rpc {message['error']['code']}", None, time.perf_counter() - started
    result = message["result"]
    structured = result.get("structuredContent") or {}
    if result.get("isError"):
        return f"tool error {structured.get('error', {}).get('type')}", structured, time.perf_counter() - started
    return "ok", structured, time.perf_counter() - started


def caller(mcp, tally, plan, keys, source):
    for index, (tool, arguments) in plan:
        key = keys[index % len(keys)]
        if tool == "check_job" and arguments is None:
            with tally.lock:
                known = list(tally.jobs.items())[-50:]
            if not known:
                tool, arguments = "search_models", {"query": "flux"}
            else:
                request_id, endpoint = known[index % len(known)]
                arguments = {"endpoint_id": endpoint, "request_id": request_id}
        outcome, structured, seconds = one_call(mcp, key, tool, arguments, source)
        if structured and tool in ("run_model", "submit_job"):
            request_id = structured.get("request_id") or structured.get("error", {}).get("request_id")
            if request_id:
                with tally.lock:
                    tally.jobs[request_id] = arguments["endpoint_id"]
            if outcome == "ok":
                outcome = f"ok {structured.get('status')}"
            error = structured.get("error", {})
            if error.get("request_id") and error.get("retryable") and tool == "run_model":
                tally.hazards.append(error)
        if tool == "run_model":
            with tally.lock:
                tally.slowest_run = max(tally.slowest_run, (seconds, arguments.get("timeout_seconds", 120)))
        tally.add(tool, outcome, seconds)


def plan_calls(count, malformed):
    """The calls to make, in order: `malformed` of them spread evenly, the rest a fixed mix."""
    calls, bad = [], 0
    for i in range(count):
        if bad < malformed and i % max(1, count // malformed) == 0:
            calls.append((i, MALFORMED[bad % len(MALFORMED)]))
            bad += 1
            continue
        kind = i % 20
        if kind < 5:
            query = WORDS[i % len(WORDS)] if i % 3 else f"cold query {i}"
            calls.append((i, ("search_models", {"query": query})))
        elif kind < 8:
            calls.append((i, ("get_model_schema", {"endpoint_id": REAL[i % len(REAL)]})))
        elif kind < 10:
            calls.append((i, ("get_pricing", {"endpoint_ids": REAL[: 1 + i % len(REAL)], "quantity": 2})))
        elif kind < 13:
            calls.append((i, ("run_model", {"endpoint_id": FLUX, "input": {"prompt": f"soak {i}"}, "timeout_seconds": 20})))
        elif kind < 15:
            calls.append((i, ("submit_job", {"endpoint_id": FLUX, "input": {"prompt": f"queued {i}"}})))
        elif kind < 18:
            calls.append((i, ("check_job", None)))
        else:
            calls.append((i, ("recommend_model", {"task": "a logo for a coffee shop" if i % 2 else "turn my photo into a video"})))
    return calls


def slow_client(address, source, kind, hold, results):
    """One slow client: stalls mid-body, or sends its headers a byte at a time. Records how it ended."""
    started = time.perf_counter()
    try:
        with socket.create_connection(address, timeout=hold + 30, source_address=(source, 0)) as s:
            if kind == "body":
                s.sendall(b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer slow:client\r\n"
                          b"Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n"
                          b"Content-Length: 1000\r\n\r\n{\"jsonrpc\":\"2.0\"")
            else:
                for byte in b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n":
                    s.sendall(bytes([byte]))
                    time.sleep(hold / 40)
            answer = s.recv(64)
            outcome = answer.split(b"\r\n")[0].decode(errors="replace") or "closed"
    except OSError as e:
        outcome = f"closed ({type(e).__name__})"
    results.append((kind, outcome, time.perf_counter() - started))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--callers", type=int, default=64)
    parser.add_argument("--keys", type=int, default=200)
    parser.add_argument("--malformed", type=int, default=650)
    parser.add_argument("--slow", type=int, default=200)
    parser.add_argument("--settle", type=int, default=70, help="idle seconds before RSS 'after' (past the 60 s cache TTL)")
    parser.add_argument("--server-env", action="append", default=[], help="NAME=value for the server (for experiments)")
    opts = parser.parse_args()
    os.makedirs(RESULTS, exist_ok=True)
    if PIN:
        os.sched_setaffinity(0, {int(LOAD_CPU)})
    procs = []
    try:
        fake_proc, fake = start([os.path.join(RELEASE, "examples", "fake_fal")])
        procs.append(fake_proc)
        extra = {"FAL_MCP_BODY_TIMEOUT_SECS": "5", "FAL_MCP_HEADER_TIMEOUT_SECS": "5"}
        extra.update(item.split("=", 1) for item in opts.server_env)
        server_proc, server = start_server(fake, RESULTS, extra)
        procs.append(server_proc)
        mcp = f"{server}/mcp"
        post(f"{fake}/_fake/script", {"endpoint_id": FLUX, "queue_ms": 50, "run_ms": 150},
             headers={"Content-Type": "application/json"})
        wait_for_index(RESULTS)
        time.sleep(1.0)
        rss_before = rss_kib(server_proc.pid)
        post(f"{fake}/_fake/chaos", {"fail_every": 5}, headers={"Content-Type": "application/json"})
        tally = Tally()
        keys = [f"soak-{i:03d}:secret-{i:03d}" for i in range(opts.keys)]
        plan = plan_calls(opts.calls, opts.malformed)
        shares = [plan[i::opts.callers] for i in range(opts.callers)]
        sampler = PeakRss(server_proc.pid)
        sampler.__enter__()  # ended after the settling below, so the peak covers all of it
        address = tuple(server.removeprefix("http://").rsplit(":", 1))
        address = (address[0], int(address[1]))
        slow_results = []
        # Slow clients come from 127.0.2.x, 25 to an address; each caller from an address of its own in 127.0.1.x.
        slow = [threading.Thread(target=slow_client, args=(address, f"127.0.2.{1 + i // 25}", "body" if i % 2 else "headers", 8, slow_results))
                for i in range(opts.slow)]
        began = time.perf_counter()
        for t in slow:
            t.start()
        with concurrent.futures.ThreadPoolExecutor(opts.callers) as pool:
            list(pool.map(lambda n: caller(mcp, tally, shares[n], keys, f"127.0.1.{1 + n}"), range(opts.callers)))
        elapsed = time.perf_counter() - began
        for t in slow:
            t.join(timeout=60)
        post(f"{fake}/_fake/chaos", {"fail_every": 0}, headers={"Content-Type": "application/json"})
        # Every job fal accepted still exists: its status can be read.
        lost = 0
        for request_id, endpoint in list(tally.jobs.items()):
            outcome, structured, _ = one_call(mcp, keys[0], "check_job", {"endpoint_id": endpoint, "request_id": request_id})
            if outcome != "ok" or structured.get("status") not in ("IN_QUEUE", "IN_PROGRESS", "COMPLETED"):
                lost += 1
        rss_load_end = rss_kib(server_proc.pid)
        time.sleep(opts.settle)
        rss_after = rss_kib(server_proc.pid)
        sampler.__exit__()
        peak_kib = sampler.peak
    finally:
        for process in procs:
            process.terminate()
        if os.path.exists(os.path.join(RESULTS, "server.log")):
            os.remove(os.path.join(RESULTS, "server.log"))
    slow_outcomes = collections.Counter(f"{kind}: {outcome}" for kind, outcome, _ in slow_results)
    report = {
        "calls": sum(tally.outcomes.values()),
        "callers": opts.callers,
        "keys": opts.keys,
        "seconds": round(elapsed, 1),
        "fal_failure_share": 0.2,
        "outcomes": dict(sorted(tally.outcomes.items())),
        "jobs_accepted": len(tally.jobs),
        "jobs_lost": lost,
        "run_model_errors_after_acceptance_flagged_retryable": len(tally.hazards),
        "slowest_run_model_s": round(tally.slowest_run[0], 2),
        "run_model_deadline_s": tally.slowest_run[1],
        "p50_ms": {tool: round(statistics.median(v) * 1000, 1) for tool, v in sorted(tally.latency.items())},
        "slow_clients": dict(sorted(slow_outcomes.items())),
        "slow_client_longest_s": round(max((s for _, _, s in slow_results), default=0), 1),
        "rss_kib": {"before": rss_before, "peak": peak_kib, "load_end": rss_load_end, "after": rss_after},
        "settle_s": opts.settle,
    }
    with open(os.path.join(RESULTS, "soak.json"), "w") as f:
        json.dump(report, f, indent=1)
    print(json.dumps(report, indent=1))
    problems = []
    if any(o.startswith(("json-rpc", "HTTP", "connection")) for o in (k.split(": ", 1)[1] for k in tally.outcomes)):
        problems.append("calls failed at the protocol or HTTP level")
    if lost:
        problems.append(f"{lost} accepted jobs could not be found again")
    if tally.hazards:
        problems.append(f"{len(tally.hazards)} run_model errors after acceptance were flagged retryable")
    if problems:
        raise SystemExit("soak: " + "; ".join(problems))


if __name__ == "__main__":
    main()
