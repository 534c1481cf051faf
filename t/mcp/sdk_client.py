"""What the official MCP Python SDK sees of the Djass MCP endpoint.

Run by t/510-mcp.t, once per connection mode of the SDK's Client (auto,
legacy, 2026-07-28):

    sdk_client.py URL MODE KEY READ_KEY QUOTA_KEY BAD_KEY ZIP_OUT

It connects over the real Streamable HTTP client with the key in
Authorization: Bearer, walks the agent's path (tools, prompt, options,
create, poll, download, fetch the ZIP) and the error paths (bad key,
read-only key, quota), and prints what it saw as one JSON object; the
Perl test makes the assertions.
"""

import asyncio
import hashlib
import json
import sys
import time

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client


def client(url, mode, key, http):
    return Client(streamable_http_client(url, http_client=http), mode=mode)


def http_for(key, statuses=None):
    hooks = {}
    if statuses is not None:
        async def seen(response):
            statuses.append([response.request.method, response.status_code,
                             response.headers.get("www-authenticate")])
        hooks = {"response": [seen]}
    return httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"},
                              timeout=30, event_hooks=hooks)


def tool_out(result):
    text = [c.text for c in result.content if getattr(c, "type", "") == "text"]
    return {
        "is_error": bool(result.is_error),
        "structured": result.structured_content,
        "text": text[0] if text else None,
    }


async def main_flow(url, mode, key, zip_out, out):
    async with http_for(key) as http, client(url, mode, key, http) as c:
        session = getattr(c, "session", None)
        out["protocol_version"] = getattr(session, "protocol_version", None)

        tools = (await c.list_tools()).tools
        out["tools"] = {
            t.name: {"input": t.input_schema, "output": t.output_schema,
                     "description": t.description}
            for t in tools
        }

        prompts = (await c.list_prompts()).prompts
        out["prompts"] = [
            {"name": p.name,
             "arguments": [a.name for a in (p.arguments or [])]}
            for p in prompts
        ]
        got = await c.get_prompt("generate_project",
                                 {"app_idea": "a CRM for bakeries"})
        out["prompt_text"] = got.messages[0].content.text

        out["options"] = tool_out(
            await c.call_tool("get_generator_options", {}))

        args = {"project_name": f"MCP {mode}", "use_stripe": "n",
                "use_s3": "y", "generate_docs": "y",
                "author_email": "agent@example.test"}
        out["create_args"] = args
        out["create"] = tool_out(await c.call_tool("create_project", args))
        pid = out["create"]["structured"]["project"]["id"]

        seen = []
        deadline = time.time() + 120
        status = None
        while time.time() < deadline:
            status = tool_out(await c.call_tool("get_project_status",
                                                {"project_id": pid}))
            st = status["structured"]["project"]["status"]
            if not seen or seen[-1] != st:
                seen.append(st)
            if st in ("ready", "failed"):
                break
            await asyncio.sleep(0.2)
        out["statuses"] = seen
        out["status"] = status

        dl = tool_out(await c.call_tool("get_project_download",
                                        {"project_id": pid}))
        out["download"] = dl

        out["missing"] = tool_out(await c.call_tool(
            "get_project_status", {"project_id": 999999}))
        out["bad_list"] = tool_out(await c.call_tool(
            "list_projects", {"limit": 0}))
        out["list"] = tool_out(await c.call_tool(
            "list_projects", {"status": "ready", "limit": 5}))

    if not dl["is_error"]:
        d = dl["structured"]["download"]
        async with httpx2.AsyncClient(timeout=30) as plain:
            res = await plain.get(d["download_url"],
                                  headers={d["auth"]["header"]: key})
        out["fetch_status"] = res.status_code
        out["fetch_sha256"] = hashlib.sha256(res.content).hexdigest()
        out["fetch_len"] = len(res.content)
        with open(zip_out, "wb") as f:
            f.write(res.content)


async def bad_key(url, mode, key, out):
    # the SDK reports a 401 as a generic error: the HTTP answers are
    # recorded on the way
    statuses = []
    try:
        async with http_for(key, statuses) as http, \
                client(url, mode, key, http) as c:
            await c.list_tools()
        out["bad_key"] = {"connected": True, "http": statuses}
    except Exception as e:  # an ExceptionGroup from anyio as well
        out["bad_key"] = {"connected": False, "error": describe(e),
                          "http": statuses}


def describe(e):
    parts = [f"{type(e).__name__}: {e}"]
    err = getattr(e, "error", None)
    if err is not None:
        parts.append(f"code {getattr(err, 'code', None)} "
                     f"message {getattr(err, 'message', None)!r} "
                     f"data {getattr(err, 'data', None)!r}")
    for sub in getattr(e, "exceptions", []) or []:
        parts.append(describe(sub))
    cause = e.__cause__ or e.__context__
    if cause is not None and cause is not e:
        parts.append(describe(cause))
    return " | ".join(parts)


async def refused(url, mode, key, out, name, args):
    async with http_for(key) as http, client(url, mode, key, http) as c:
        out[name] = tool_out(await c.call_tool("create_project", args))


async def main():
    url, mode, key, read_key, quota_key, bad, zip_out = sys.argv[1:8]
    out = {"mode": mode}
    await main_flow(url, mode, key, zip_out, out)
    await bad_key(url, mode, bad, out)
    await refused(url, mode, read_key, out, "read_only",
                  {"project_name": "Not allowed"})
    await refused(url, mode, quota_key, out, "quota",
                  {"project_name": "Over quota"})
    print(json.dumps(out))


if __name__ == "__main__":
    asyncio.run(main())
