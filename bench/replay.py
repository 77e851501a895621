"""The sign-in's replay memory in Redis against in this process (bench/bench.py runs it): the cost of
the Redis round trip on /token (each refresh checks and records its token's single use), and that
/mcp pays nothing for it when callers send a raw key (an access token pays one EXISTS).

Two servers with the sign-in on, identical but for FAL_MCP_REDIS_URL, against the same fake fal and
a redis-server of their own (Debian's, pinned beside the server on the server's CPU). Each signs in
once over HTTP as a browser would, then refreshes its tokens one after another (every refresh
rotates, so each request carries the token the previous one returned).
"""
import base64
import hashlib
import http.client
import json
import os
import re
import socket
import statistics
import subprocess
import time
import urllib.parse

from bench import KEY, LIST, MCP_HEADERS, SERVER_CPU, lua_script, pinned, start_server, wrk

PUBLIC = "http://localhost:9"
REDIRECT = "http://127.0.0.1:4455/callback"
VERIFIER = "bench-verifier-bench-verifier-bench-verifier-0001"
SECRET = base64.b64encode(bytes(range(32))).decode()
REFRESHES = 400


def request(base, method, path, body=None, headers=None):
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    answer = (response.status, dict(response.getheaders()), response.read())
    connection.close()
    return answer


def sign_in(base):
    """A client registration, the sign-in page, Connect, and the code's exchange: (client_id, tokens)."""
    _, _, body = request(base, "POST", "/register", json.dumps({"redirect_uris": [REDIRECT], "client_name": "bench"}),
                         {"Content-Type": "application/json"})
    client = json.loads(body)["client_id"]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()
    query = urllib.parse.urlencode({"response_type": "code", "client_id": client, "redirect_uri": REDIRECT,
                                    "code_challenge": challenge, "code_challenge_method": "S256", "state": "s",
                                    "resource": f"{PUBLIC}/mcp"})
    _, _, page = request(base, "GET", f"/authorize?{query}")
    form = re.search(r'name="request" value="([^"]+)"', page.decode()).group(1)
    status, headers, _ = request(base, "POST", "/authorize",
                                 urllib.parse.urlencode({"request": form, "fal_key": KEY, "action": "connect"}),
                                 {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 303, status
    code = urllib.parse.parse_qs(urllib.parse.urlparse(headers["location"]).query)["code"][0]
    _, _, tokens = request(base, "POST", "/token", urllib.parse.urlencode(
        {"grant_type": "authorization_code", "code": code, "client_id": client, "redirect_uri": REDIRECT,
         "code_verifier": VERIFIER}), {"Content-Type": "application/x-www-form-urlencoded"})
    return client, json.loads(tokens)


def refresh_latencies(base, client, refresh_token):
    """REFRESHES refreshes in a row on one kept-alive connection; each one's latency in ms."""
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    latencies = []
    for _ in range(REFRESHES):
        body = urllib.parse.urlencode({"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": client})
        began = time.perf_counter()
        connection.request("POST", "/token", body=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
        response = connection.getresponse()
        answer = response.read()
        latencies.append((time.perf_counter() - began) * 1000.0)
        assert response.status == 200, answer
        refresh_token = json.loads(answer)["refresh_token"]
    connection.close()
    return latencies


def summary(latencies):
    ordered = sorted(latencies)
    return {"p50": statistics.median(ordered), "p99": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def measure(fake, results, scripts, seconds):
    port = free_port()
    redis = subprocess.Popen(pinned(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                     "--appendonly", "no"], SERVER_CPU), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    servers = []
    m = {}
    try:
        deadline = time.time() + 10
        while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
            assert time.time() < deadline, "redis-server did not start"
            time.sleep(0.05)
        oauth = {"FAL_MCP_PUBLIC_URL": PUBLIC, "FAL_MCP_TOKEN_SECRET": SECRET}
        for label, extra in (("local", {}), ("redis", {"FAL_MCP_REDIS_URL": f"redis://127.0.0.1:{port}/"})):
            process, base = start_server(fake, results, {**oauth, **extra})
            servers.append(process)
            client, tokens = sign_in(base)
            m[f"token_refresh_{label}"] = summary(refresh_latencies(base, client, tokens["refresh_token"]))
            raw = lua_script(os.path.join(scripts, f"list_raw_{label}.lua"), "POST", MCP_HEADERS, body=json.dumps(LIST))
            m[f"mcp_raw_key_{label}_c1"] = wrk(f"{base}/mcp", raw, 1, seconds, results, f"oauth-{label}-raw-key-c1")
            sealed = dict(MCP_HEADERS, Authorization=f"Bearer {tokens['access_token']}")
            token = lua_script(os.path.join(scripts, f"list_token_{label}.lua"), "POST", sealed, body=json.dumps(LIST))
            m[f"mcp_token_{label}_c1"] = wrk(f"{base}/mcp", token, 1, seconds, results, f"oauth-{label}-token-c1")
    finally:
        for process in servers:
            process.terminate()
            process.wait()
        redis.terminate()
        redis.wait()
    return m


def report(m):
    """The report's section, when the run measured it."""
    if "token_refresh_redis" not in m:
        return []
    rows = []
    for what, key in (("POST /token, a refresh (400 in a row, one connection)", "token_refresh"),
                      ("/mcp tools/list, raw fal key, 1 conn", "mcp_raw_key"), ("/mcp tools/list, access token, 1 conn", "mcp_token")):
        local = m[f"{key}_local" if key == "token_refresh" else f"{key}_local_c1"]
        shared = m[f"{key}_redis" if key == "token_refresh" else f"{key}_redis_c1"]
        rows.append(f"| {what} | {local['p50']:.3f} ms / {local['p99']:.3f} ms | {shared['p50']:.3f} ms / {shared['p99']:.3f} ms "
                    f"| {shared['p50'] - local['p50']:+.3f} ms |")
    return [
        "## The sign-in's replay memory: this process against Redis",
        "",
        "Two servers with the sign-in on, the same but for `FAL_MCP_REDIS_URL`, a redis-server 7.0.15 on",
        "loopback beside them (bench/replay.py). A refresh checks the sign-in is not revoked and records its",
        "token's single use (two Redis commands); an access token on /mcp checks revocation (one); a raw",
        "key never reaches Redis.",
        "",
        "| request | p50 / p99, this process | p50 / p99, Redis | added p50 |",
        "| --- | --- | --- | --- |",
        *rows,
        "",
    ]
