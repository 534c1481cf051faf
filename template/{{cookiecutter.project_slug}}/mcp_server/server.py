"""MCP server: the project's HTTP API as tools for AI agents.

Run it next to an agent (Claude Desktop, Cursor, ...) over stdio:

    PROJECT_API_URL=https://your.site/api PROJECT_API_KEY=sk_... uv run python -m mcp_server

or over HTTP with `--transport streamable-http`. Every call is made with the
API key of the account the agent acts for, so the agent sees exactly what
that user may see.
"""
import argparse
import os

import httpx
from mcp.server.fastmcp import FastMCP

mcp = FastMCP({{ cookiecutter.project_name|jsonify }})


def api_client() -> httpx.Client:
    # empty means unset, as in the project's settings (config/env.py)
    base_url = (os.environ.get("PROJECT_API_URL", "").strip() or "http://localhost:8000/api").rstrip("/")
    api_key = os.environ.get("PROJECT_API_KEY", "").strip()
    if not api_key:
        raise RuntimeError("PROJECT_API_KEY is not set: create a key on the settings page.")
    return httpx.Client(base_url=base_url, headers={"X-API-Key": api_key}, timeout=30)


def _call(method: str, path: str, **kwargs):
    with api_client() as client:
        response = client.request(method, path, **kwargs)
        response.raise_for_status()
        return response.json()


@mcp.tool()
def health() -> dict:
    """Check that the service is up."""
    return _call("GET", "/health")


@mcp.tool()
def whoami() -> dict:
    """The account this agent acts for: id, email, name."""
    return _call("GET", "/me")
{%- if cookiecutter.generate_blog == 'y' %}


@mcp.tool()
def list_blog_posts(limit: int = 10) -> list[dict]:
    """The latest published blog posts with their titles, summaries and URLs."""
    return _call("GET", "/posts", params={"limit": limit})
{%- endif %}
{%- if cookiecutter.use_ai == 'y' %}


@mcp.tool()
def summarize_text(text: str) -> str:
    """Summarize a text with the project's AI service."""
    return _call("POST", "/ai/summarize", json={"text": text})["summary"]
{%- endif %}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transport", choices=["stdio", "sse", "streamable-http"], default="stdio")
    args = parser.parse_args()
    mcp.run(transport=args.transport)
