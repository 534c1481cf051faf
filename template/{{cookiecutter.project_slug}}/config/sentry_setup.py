"""Sentry error and performance monitoring for Django and the Celery queue."""
import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration


def init_sentry(dsn: str, environment: str = "production", traces_sample_rate: float = 0.1) -> None:
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration(), CeleryIntegration(monitor_beat_tasks=True)],
        traces_sample_rate=traces_sample_rate,
        send_default_pii=False,
    )
