"""Background tasks (Celery). The beat schedule lives in config/settings.py."""
import logging

from celery import shared_task
from django.contrib.sessions.models import Session
from django.utils import timezone
{%- if cookiecutter.use_healthchecks == 'y' %}

from .healthchecks import heartbeat
{%- endif %}

logger = logging.getLogger(__name__)


@shared_task
def daily_maintenance():
    """Remove expired sessions; runs every night from Celery beat."""
{%- if cookiecutter.use_healthchecks == 'y' %}
    with heartbeat("daily-maintenance"):
        deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
{%- else %}
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
{%- endif %}
    logger.info("daily maintenance: %s expired sessions removed", deleted)
    return deleted
