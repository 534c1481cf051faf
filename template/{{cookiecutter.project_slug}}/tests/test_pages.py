import pytest
from django.urls import reverse

from apps.api.models import APIKey


def test_landing_page_is_public(client):
    response = client.get(reverse("core:landing"))
    assert response.status_code == 200
    assert b"Get started" in response.content


@pytest.mark.parametrize("name", ["core:dashboard", "core:settings"])
def test_private_pages_send_anonymous_visitors_to_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_dashboard_greets_the_user(logged_in_client, user):
    response = logged_in_client.get(reverse("core:dashboard"))
    assert response.status_code == 200
    assert b"Welcome, Ada" in response.content


def test_settings_page_updates_the_profile(logged_in_client, user):
    response = logged_in_client.post(reverse("core:settings"), {"first_name": "Augusta", "last_name": "King"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.get_full_name() == "Augusta King"


def test_api_key_is_created_shown_once_and_stored_hashed(logged_in_client, user):
    response = logged_in_client.post(reverse("core:create_api_key"), {"name": "laptop"}, follow=True)
    assert response.status_code == 200
    raw_key = response.context["new_api_key"]
    assert raw_key.startswith("sk_")
    key = APIKey.objects.get(user=user)
    assert key.name == "laptop"
    assert raw_key not in (key.hashed_key, key.prefix)
    assert APIKey.objects.get_active(raw_key) == key
    again = logged_in_client.get(reverse("core:settings"))
    assert again.context["new_api_key"] is None


def test_api_key_can_be_revoked_only_by_its_owner(client, logged_in_client, user, django_user_model):
    key, _ = APIKey.objects.create_key(user=user, name="old")
    other = django_user_model.objects.create_user(email="eve@example.com", password="x-very-long-password")
    client.force_login(other)
    assert client.post(reverse("core:revoke_api_key", args=[key.pk])).status_code == 404
    client.force_login(user)
    assert client.post(reverse("core:revoke_api_key", args=[key.pk])).status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None


def test_sitemap_lists_the_landing_page(client, db):
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    assert b"<loc>" in response.content


def test_admin_requires_staff(logged_in_client):
    response = logged_in_client.get(reverse("admin:index"))
    assert response.status_code == 302


def test_the_site_is_named_after_the_project(db, settings):
    from django.contrib.sites.models import Site

    site = Site.objects.get_current()
    assert site.name == settings.SITE_NAME
    assert site.domain == "localhost:8000"
