import httpx
import pytest

from apps.core.healthchecks import heartbeat, ping
from apps.core.tasks import daily_maintenance


@pytest.fixture
def pings():
    seen = []

    def handler(request):
        seen.append(str(request.url))
        return httpx.Response(200)

    client = httpx.Client(transport=httpx.MockTransport(handler))
    return seen, client


def test_heartbeat_pings_start_and_success(settings, pings):
    settings.HEALTHCHECKS_PING_URL = "https://hc-ping.test/abc"
    seen, client = pings
    with heartbeat("job", client):
        pass
    assert seen == ["https://hc-ping.test/abc/start", "https://hc-ping.test/abc"]


def test_heartbeat_pings_fail_when_the_task_raises(settings, pings):
    settings.HEALTHCHECKS_PING_URL = "https://hc-ping.test/abc"
    seen, client = pings
    with pytest.raises(RuntimeError), heartbeat("job", client):
        raise RuntimeError("boom")
    assert seen == ["https://hc-ping.test/abc/start", "https://hc-ping.test/abc/fail"]


def test_no_ping_without_a_url(settings, pings):
    settings.HEALTHCHECKS_PING_URL = ""
    seen, client = pings
    assert ping("", client) is False
    assert seen == []


def test_scheduled_task_pings(settings, db, monkeypatch):
    settings.HEALTHCHECKS_PING_URL = "https://hc-ping.test/abc"
    seen = []
    monkeypatch.setattr("apps.core.healthchecks.ping", lambda suffix="", client=None: seen.append(suffix) or True)
    daily_maintenance.delay().get()
    assert seen == ["start", ""]


def test_scheduled_task_is_in_the_beat_schedule(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "apps.core.tasks.daily_maintenance" in tasks
