"""Heartbeat pings to Healthchecks.io (or a self-hosted instance).

Each scheduled task pings <HEALTHCHECKS_PING_URL>/start when it begins, the
URL itself when it succeeds and <url>/fail when it raises: a scheduler that
stops running raises an alert on the Healthchecks side.
"""
import contextlib
import logging

import httpx
from django.conf import settings

logger = logging.getLogger(__name__)


def ping(suffix: str = "", client: httpx.Client | None = None) -> bool:
    base = settings.HEALTHCHECKS_PING_URL
    if not base:
        return False
    url = f"{base}/{suffix}" if suffix else base
    try:
        if client is None:
            with httpx.Client(timeout=10) as own:
                own.post(url)
        else:
            client.post(url)
    except httpx.HTTPError as exc:
        # monitoring must never break the task it watches
        logger.warning("healthchecks ping failed: %s", exc)
        return False
    return True


@contextlib.contextmanager
def heartbeat(name: str, client: httpx.Client | None = None):
    ping("start", client)
    try:
        yield
    except Exception:
        ping("fail", client)
        raise
    ping("", client)
