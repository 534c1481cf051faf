from unittest import mock

from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration

from config.sentry_setup import init_sentry


def test_sentry_is_set_up_for_django_and_celery():
    with mock.patch("sentry_sdk.init") as init:
        init_sentry("https://public@sentry.example.com/1", environment="staging")
    kwargs = init.call_args.kwargs
    assert kwargs["dsn"] == "https://public@sentry.example.com/1"
    assert kwargs["environment"] == "staging"
    kinds = {type(integration) for integration in kwargs["integrations"]}
    assert {DjangoIntegration, CeleryIntegration} <= kinds
    assert kwargs["send_default_pii"] is False
