import hashlib
import hmac

from django.urls import reverse


def test_widget_is_on_pages_when_configured(client, settings):
    settings.CHATWOOT_BASE_URL = "https://chat.example.com"
    settings.CHATWOOT_WEBSITE_TOKEN = "tok123"
    response = client.get(reverse("core:landing"))
    assert b"https://chat.example.com" in response.content
    assert b"tok123" in response.content


def test_no_widget_without_configuration(client, settings):
    settings.CHATWOOT_WEBSITE_TOKEN = ""
    response = client.get(reverse("core:landing"))
    assert b"chatwootSDK" not in response.content


def test_signed_in_user_is_identified_with_an_hmac(logged_in_client, user, settings):
    settings.CHATWOOT_BASE_URL = "https://chat.example.com"
    settings.CHATWOOT_WEBSITE_TOKEN = "tok123"
    settings.CHATWOOT_HMAC_TOKEN = "secret"
    expected = hmac.new(b"secret", str(user.pk).encode(), hashlib.sha256).hexdigest()
    response = logged_in_client.get(reverse("core:dashboard"))
    assert expected.encode() in response.content
