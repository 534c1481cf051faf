import json

import httpx
import pytest
from django.urls import reverse

from apps.ai.service import AIError, summarize


@pytest.fixture(autouse=True)
def ai_settings(settings):
    settings.AI_API_KEY = "test-key"
    settings.AI_BASE_URL = "https://llm.test/v1"
    settings.AI_MODEL = "test-model"


def fake_provider(seen):
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"choices": [{"message": {"content": " A short summary. "}}]})

    return httpx.Client(transport=httpx.MockTransport(handler))


def test_summarize_calls_the_provider_with_the_key(settings):
    seen = []
    assert summarize("A long text.", client=fake_provider(seen)) == "A short summary."
    request = seen[0]
    assert str(request.url) == "https://llm.test/v1/chat/completions"
    assert request.headers["Authorization"] == "Bearer test-key"
    body = json.loads(request.content)
    assert body["model"] == "test-model"
    assert body["messages"][-1]["content"] == "A long text."


def test_summarize_without_a_key_raises(settings):
    settings.AI_API_KEY = ""
    with pytest.raises(AIError):
        summarize("text")


def test_provider_errors_become_ai_errors():
    client = httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(500)))
    with pytest.raises(AIError):
        summarize("text", client=client)


def test_summarize_page_requires_login(client):
    assert client.get(reverse("ai:summarize")).status_code == 302


def test_summarize_api_endpoint(client, api_key, monkeypatch):
    monkeypatch.setattr("apps.api.api.summarize", lambda text: f"summary of {len(text)} chars")
    response = client.post(
        "/api/ai/summarize", {"text": "hello"}, content_type="application/json", headers={"X-API-Key": api_key}
    )
    assert response.status_code == 200
    assert response.json() == {"summary": "summary of 5 chars"}


def test_summarize_api_reports_provider_failure(client, api_key, settings):
    settings.AI_API_KEY = ""
    response = client.post(
        "/api/ai/summarize", {"text": "hello"}, content_type="application/json", headers={"X-API-Key": api_key}
    )
    assert response.status_code == 503
