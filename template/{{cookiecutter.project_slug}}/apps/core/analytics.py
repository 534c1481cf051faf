"""Server-side product analytics with PostHog.

Events are sent only when POSTHOG_API_KEY is set; the browser snippet in
templates/partials/posthog.html uses the same key.
"""
from functools import lru_cache

from django.conf import settings
from posthog import Posthog


@lru_cache(maxsize=1)
def get_client() -> Posthog | None:
    if not settings.POSTHOG_API_KEY:
        return None
    return Posthog(settings.POSTHOG_API_KEY, host=settings.POSTHOG_HOST)


def capture(user, event: str, properties: dict | None = None) -> bool:
    client = get_client()
    if client is None:
        return False
    client.capture(event=event, distinct_id=str(user.pk), properties=properties or {})
    return True
