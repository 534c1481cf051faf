import pytest

from apps.api.models import APIKey


def test_health_needs_no_key(client):
    response = client.get("/api/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_me_without_a_key_is_401(client):
    assert client.get("/api/me").status_code == 401


def test_me_with_an_unknown_key_is_401(client, api_key):
    assert client.get("/api/me", headers={"X-API-Key": "sk_not-a-real-key"}).status_code == 401


@pytest.mark.parametrize("header", ["X-API-Key", "Authorization"])
def test_me_with_a_valid_key(client, user, api_key, header):
    value = api_key if header == "X-API-Key" else f"Bearer {api_key}"
    response = client.get("/api/me", headers={header: value})
    assert response.status_code == 200
    body = response.json()
    assert body["email"] == user.email
    assert body["id"] == user.pk
    assert APIKey.objects.get(user=user).last_used_at is not None


def test_a_revoked_key_is_rejected(client, user, api_key):
    APIKey.objects.get(user=user).revoke()
    assert client.get("/api/me", headers={"X-API-Key": api_key}).status_code == 401


def test_the_key_of_a_deactivated_user_is_rejected(client, user, api_key):
    user.is_active = False
    user.save()
    assert client.get("/api/me", headers={"X-API-Key": api_key}).status_code == 401


def test_a_session_alone_does_not_open_the_api(logged_in_client):
    assert logged_in_client.get("/api/me").status_code == 401


def test_openapi_schema_is_published(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert "/api/me" in response.json()["paths"]
