"""The official Python MCP SDK (mcp 1.x) against fal-mcp: initialize, list, call every tool once,
then the outcomes that broke validating clients before: a failed job's status, an app fal's
catalog does not list, and a wrong-typed argument. The SDK validates every result's structured
content against the tool's output schema; any mismatch raises.

usage: MCP_AUTH="Bearer <key>" python python_client.py http://127.0.0.1:PORT/mcp http://127.0.0.1:FAKE
Exits non-zero when any step fails.
"""
import asyncio
import json
import os
import sys
import urllib.error
import urllib.request

from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

EXPECTED = {
    "search_models", "get_model_schema", "get_pricing", "search_docs", "recommend_model",
    "run_model", "submit_job", "check_job", "get_job_result", "cancel_job", "upload_file",
}


def failed(result, tool):
    if not result.isError:
        raise SystemExit(f"{tool} should have failed: {result.content[0].text}")
    return result.structuredContent["error"]


def script(fake, endpoint, **fields):
    body = json.dumps({"endpoint_id": endpoint, "queue_ms": 0, "run_ms": 0, **fields}).encode()
    request = urllib.request.Request(f"{fake}/_fake/script", data=body, headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request).read()


def jobs(fake):
    with urllib.request.urlopen(f"{fake}/_fake/jobs") as response:
        return json.load(response)


def structured(result, tool):
    if result.isError:
        raise SystemExit(f"{tool} failed: {result.content[0].text}")
    data = result.structuredContent
    # The text says the structured result once: a job's files are its resource_link blocks, so
    # the text leaves out `media`, and says nothing else differently.
    links = [c.uri for c in result.content if c.type == "resource_link"]
    expected = {k: v for k, v in data.items() if k != "media"} if links else data
    if expected != json.loads(result.content[0].text):
        raise SystemExit(f"{tool}: structuredContent and text differ")
    if sorted(str(m["url"]) for m in data.get("media") or []) != sorted(str(u) for u in links):
        raise SystemExit(f"{tool}: the resource links are not the media")
    return data


async def main(url, fake):
    headers = {"Authorization": os.environ["MCP_AUTH"]}
    async with create_mcp_http_client(headers=headers) as http:
        async with streamable_http_client(url, http_client=http) as (read, write, _):
            async with ClientSession(read, write) as session:
                init = await session.initialize()
                assert init.serverInfo.name == "fal-mcp", init.serverInfo
                names = {t.name for t in (await session.list_tools()).tools}
                assert names == EXPECTED, names

                async def call(tool, args):
                    return structured(await session.call_tool(tool, args), tool)

                async def settled(endpoint, request_id):
                    """check_job until the job leaves the queue and the runner (5 s at most)."""
                    for _ in range(100):
                        status = await call("check_job", {"endpoint_id": endpoint, "request_id": request_id})
                        if status["status"] not in ("IN_QUEUE", "IN_PROGRESS"):
                            break
                        await asyncio.sleep(0.05)
                    return status

                models = await call("search_models", {"query": "flux", "limit": 3})
                assert models["models"], models
                schema = await call("get_model_schema", {"endpoint_id": "fal-ai/flux/dev"})
                assert "prompt" in schema["input"]["properties"]
                price = await call("get_pricing", {"endpoint_id": "fal-ai/flux/dev", "quantity": 2})
                assert price["estimate"]["total_cost"] > 0
                docs = await call("search_docs", {"query": "webhooks"})
                assert docs["results"], docs
                picks = await call("recommend_model", {"task": "a logo for a coffee shop"})
                assert picks["inferred_category"] == "text-to-image"
                cost = await call("get_pricing", {"endpoint_id": "fal-ai/flux/dev",
                                                  "input": {"prompt": "a fox", "num_images": 2, "image_size": "landscape_16_9"}})
                assert cost["estimate"]["unit_quantity"] == 2 and "landscape_16_9" in cost["estimate"]["basis"], cost
                capped = failed(await session.call_tool("run_model", {"endpoint_id": "fal-ai/flux/dev", "max_cost": 0.01,
                                                                      "input": {"prompt": "a fox", "num_images": 4}}), "run_model")
                assert capped["type"] == "cost_limit" and "max_cost" in capped["message"], capped
                run = await call("run_model", {"endpoint_id": "fal-ai/flux/dev", "input": {"prompt": "a fox"}, "max_cost": 1})
                assert run["status"] == "COMPLETED" and run["media"] and run["estimate"]["total_cost"] <= 1, run
                job = await call("submit_job", {"endpoint_id": "fal-ai/veo3", "input": {"prompt": "waves"}})
                status = await call("check_job", {"endpoint_id": "fal-ai/veo3", "request_id": job["request_id"]})
                assert status["status"] in ("IN_QUEUE", "IN_PROGRESS", "COMPLETED"), status
                upload = await call("upload_file", {"data": "aGVsbG8=", "file_name": "hello.txt"})
                assert upload["size"] == 5, upload

                script(fake, "fal-ai/flux/schnell", error=True)
                job = await call("submit_job", {"endpoint_id": "fal-ai/flux/schnell", "input": {"prompt": "flagged"}})
                status = await settled("fal-ai/flux/schnell", job["request_id"])
                assert status["status"] == "FAILED", status
                assert status["error"]["type"] == "content_policy_violation", status
                result = await session.call_tool("get_job_result", {"endpoint_id": "fal-ai/flux/schnell", "request_id": job["request_id"]})
                assert failed(result, "get_job_result")["status"] == 422
                queued = await call("submit_job", {"endpoint_id": "fal-ai/veo3", "input": {"prompt": "waves"}})
                stopped = await call("cancel_job", {"endpoint_id": "fal-ai/veo3", "request_id": queued["request_id"]})
                assert stopped["status"] in ("CANCELLATION_REQUESTED", "ALREADY_COMPLETED"), stopped

                assert status["error"]["retryable"] is False and "check_job" not in status["next"], status
                script(fake, "fal-ai/flux/schnell", error="runner_server_error")
                job = await call("submit_job", {"endpoint_id": "fal-ai/flux/schnell", "input": {"prompt": "again"}})
                status = await settled("fal-ai/flux/schnell", job["request_id"])
                assert status["error"]["type"] == "runner_server_error" and status["error"]["retryable"] is True, status

                queued = len(jobs(fake))
                typo = failed(await session.call_tool("run_model", {"endpoint_id": "fal-ai/flux/dev",
                                                                    "input": {"prompt": "a fox", "num_image": 3}}), "run_model")
                assert typo["type"] == "validation_error" and "did you mean `num_images`" in typo["message"], typo
                enum = failed(await session.call_tool("run_model", {"endpoint_id": "fal-ai/flux/dev",
                                                                    "input": {"prompt": "a fox", "image_size": "huge"}}), "run_model")
                assert "square_hd" in enum["message"] and "anyOf" not in enum["message"], enum
                assert len(jobs(fake)) == queued, "a refused input was queued"
                unknown = await session.call_tool("get_model_schema", {"endpoint_id": "fal-ai/flux/dvv"})
                assert failed(unknown, "get_model_schema")["type"] == "not_found"
                assert "did you mean fal-ai/flux/dev" in unknown.content[0].text, unknown.content[0].text

                private = await call("run_model", {"endpoint_id": "acme-studio/private-upscaler", "input": {"prompt": "hero"}})
                assert private["status"] == "COMPLETED" and private["validated"] is False, private
                wrong = failed(await session.call_tool("check_job", {"endpoint_id": None, "request_id": "x"}), "check_job")
                assert wrong["type"] == "invalid_argument" and "endpoint_id" in wrong["message"], wrong
                print(f"python mcp client: {len(names)} tools listed and called, a call's cost, a max_cost refusal, failed jobs"
                      f" (content policy, runner error) with their advice, a misspelled field and an enum refused before queueing,"
                      f" a did-you-mean id, an unlisted app and a wrong-typed argument read cleanly; protocol {init.protocolVersion}")
    for header, said in (("Bearer abc123", "key_id:key_secret"), ("Bearer falmcp_at_x", "sign-in off")):
        request = urllib.request.Request(url, data=b'{"jsonrpc":"2.0","id":1,"method":"tools/list"}', method="POST",
                                         headers={"Authorization": header, "Content-Type": "application/json",
                                                  "Accept": "application/json, text/event-stream"})
        try:
            urllib.request.urlopen(request)
            raise SystemExit(f"{header} was admitted")
        except urllib.error.HTTPError as e:
            assert e.code == 401 and said in e.read().decode(), (header, e.code)
    register = urllib.request.Request(url.removesuffix("/mcp") + "/register", data=b"{}", method="POST",
                                      headers={"Content-Type": "application/json"})
    try:
        urllib.request.urlopen(register)
        raise SystemExit("/register answered with sign-in off")
    except urllib.error.HTTPError as e:
        assert e.code == 404 and json.loads(e.read())["error"] == "sign_in_off", e.code
    print("python: malformed keys are 401 before fal is asked; /register with sign-in off says to send the key")


asyncio.run(main(sys.argv[1], sys.argv[2]))
