"""Background tasks (Celery). The beat schedule lives in config/settings.py."""
import logging

from celery import shared_task
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.utils import timezone

from .emails import send_welcome_email
{%- if cookiecutter.use_healthchecks == 'y' %}
from .healthchecks import heartbeat
{%- endif %}
{%- if cookiecutter.use_apprise == 'y' %}
from .notifications import notify_admins
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


@shared_task
def send_welcome_email_task(user_id: int) -> bool:
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        return False
    send_welcome_email(user)
    return True
{%- if cookiecutter.use_apprise == 'y' %}


@shared_task
def notify_admins_task(title: str, body: str) -> bool:
    return notify_admins(title, body)
{%- endif %}
