"""The AI service: one place that talks to the LLM provider.

Any OpenAI-compatible chat completions API works (OpenAI, Mistral, Groq,
OpenRouter, a local Ollama...): set AI_API_KEY, and AI_BASE_URL / AI_MODEL
for another provider.
"""
import httpx
from django.conf import settings


class AIError(Exception):
    """The provider is not configured or did not answer usefully."""


def complete(messages: list[dict], *, client: httpx.Client | None = None, max_tokens: int = 400) -> str:
    if not settings.AI_API_KEY:
        raise AIError("The AI provider is not configured (AI_API_KEY is empty).")
    request = {
        "model": settings.AI_MODEL,
        "messages": messages,
        "max_tokens": max_tokens,
        "temperature": 0.2,
    }
    headers = {"Authorization": f"Bearer {settings.AI_API_KEY}"}
    own_client = client is None
    client = client or httpx.Client(timeout=settings.AI_TIMEOUT)
    try:
        response = client.post(f"{settings.AI_BASE_URL}/chat/completions", json=request, headers=headers)
        response.raise_for_status()
        data = response.json()
        return data["choices"][0]["message"]["content"].strip()
    except (httpx.HTTPError, KeyError, IndexError, ValueError) as exc:
        raise AIError(f"The AI provider failed: {exc}") from exc
    finally:
        if own_client:
            client.close()


def summarize(text: str, *, client: httpx.Client | None = None) -> str:
    """The example feature: a short summary of any text."""
    text = text.strip()
    if not text:
        raise AIError("There is nothing to summarize.")
    messages = [
        {"role": "system", "content": "Summarize the user's text in at most three sentences."},
        {"role": "user", "content": text[:20000]},
    ]
    return complete(messages, client=client)
