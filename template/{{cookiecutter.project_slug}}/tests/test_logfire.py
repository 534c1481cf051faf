from unittest import mock

from config.logfire_setup import init_logfire


def test_logfire_instruments_django_and_the_database():
    with (
        mock.patch("logfire.configure") as configure,
        mock.patch("logfire.instrument_django") as django,
        mock.patch("logfire.instrument_psycopg") as psycopg,
    ):
        init_logfire("token-123", environment="staging")
    kwargs = configure.call_args.kwargs
    assert kwargs["token"] == "token-123"
    assert kwargs["environment"] == "staging"
    django.assert_called_once()
    psycopg.assert_called_once()
