from unittest import mock

from django.core import mail

from apps.core.notifications import notify_admins


def test_apprise_urls_are_notified(settings):
    settings.APPRISE_URLS = ["json://hooks.example.com/notify"]
    with mock.patch("apprise.Apprise") as apprise_cls:
        apprise_cls.return_value.notify.return_value = True
        assert notify_admins("Title", "Body") is True
    apprise_cls.return_value.add.assert_called_once_with("json://hooks.example.com/notify")
    apprise_cls.return_value.notify.assert_called_once_with(title="Title", body="Body")
    assert mail.outbox == []


def test_email_fallback_without_apprise_urls(settings):
    settings.APPRISE_URLS = []
    settings.ADMINS = [("Admin", "admin@example.com")]
    assert notify_admins("Title", "Body") is True
    assert mail.outbox[0].to == ["admin@example.com"]


def test_email_fallback_when_apprise_fails(settings):
    settings.APPRISE_URLS = ["json://hooks.example.com/notify"]
    settings.ADMINS = [("Admin", "admin@example.com")]
    with mock.patch("apprise.Apprise") as apprise_cls:
        apprise_cls.return_value.notify.return_value = False
        assert notify_admins("Title", "Body") is True
    assert len(mail.outbox) == 1


def test_admins_hear_about_a_sign_up(client, db, settings):
    from django.urls import reverse

    from .conftest import PASSWORD

    settings.APPRISE_URLS = []
    settings.ADMINS = [("Admin", "admin@example.com")]
    form = {"email": "new@example.com", "password1": PASSWORD, "password2": PASSWORD}
    client.post(reverse("account_signup"), form)
    notices = [m for m in mail.outbox if "New sign-up" in m.subject]
    assert len(notices) == 1
    assert "new@example.com" in notices[0].body
