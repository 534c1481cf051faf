from datetime import timedelta

from django.contrib.sessions.models import Session
from django.utils import timezone

from apps.core.tasks import daily_maintenance


def test_daily_maintenance_removes_only_expired_sessions(db):
    now = timezone.now()
    Session.objects.create(session_key="old", session_data="", expire_date=now - timedelta(days=1))
    Session.objects.create(session_key="new", session_data="", expire_date=now + timedelta(days=1))
    assert daily_maintenance.delay().get() == 1
    assert list(Session.objects.values_list("session_key", flat=True)) == ["new"]
