import asyncio

import httpx
import pytest

from mcp_server import server


def test_tools_are_registered():
    tools = {tool.name for tool in asyncio.run(server.mcp.list_tools())}
    assert {"health", "whoami"} <= tools


@pytest.fixture
def api_through_django(client, monkeypatch):
    """Route the MCP server's HTTP calls to this project's API in-process."""

    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"X-API-Key": request.headers.get("X-API-Key", "")}
        if request.method == "GET":
            response = client.get(request.url.path, dict(request.url.params), headers=headers)
        else:
            response = client.post(request.url.path, request.content, content_type="application/json", headers=headers)
        return httpx.Response(response.status_code, content=response.content)

    def fake_client():
        return httpx.Client(
            base_url="http://testserver/api",
            headers={"X-API-Key": monkeypatch_env["key"]},
            transport=httpx.MockTransport(handler),
        )

    monkeypatch_env = {"key": ""}
    monkeypatch.setattr(server, "api_client", fake_client)
    return monkeypatch_env


def test_whoami_calls_the_api_with_the_key(api_through_django, api_key, user):
    api_through_django["key"] = api_key
    assert server.whoami()["email"] == user.email


def test_a_bad_key_is_an_error(api_through_django, db):
    api_through_django["key"] = "sk_wrong"
    with pytest.raises(httpx.HTTPStatusError):
        server.whoami()


def test_missing_key_is_explained(monkeypatch):
    monkeypatch.delenv("PROJECT_API_KEY", raising=False)
    with pytest.raises(RuntimeError, match="PROJECT_API_KEY"):
        server.api_client()
