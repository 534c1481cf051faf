from unittest import mock

from django.urls import reverse

from apps.core import analytics

from .conftest import PASSWORD


def test_snippet_is_on_pages_when_a_key_is_set(client, settings):
    settings.POSTHOG_API_KEY = "phc_test"
    response = client.get(reverse("core:landing"))
    assert b"posthog.init(\"phc_test\"" in response.content


def test_no_snippet_without_a_key(client, settings):
    settings.POSTHOG_API_KEY = ""
    response = client.get(reverse("core:landing"))
    assert b"posthog.init" not in response.content


def test_sign_up_sends_a_server_side_event(client, db):
    fake = mock.Mock()
    with mock.patch.object(analytics, "get_client", return_value=fake):
        form = {"email": "new@example.com", "password1": PASSWORD, "password2": PASSWORD}
        client.post(reverse("account_signup"), form)
    fake.capture.assert_called_once()
    kwargs = fake.capture.call_args.kwargs
    assert kwargs["event"] == "user signed up"
    assert kwargs["properties"] == {"email_domain": "example.com"}


def test_capture_is_a_no_op_without_a_key(settings, user):
    settings.POSTHOG_API_KEY = ""
    analytics.get_client.cache_clear()
    assert analytics.capture(user, "anything") is False
