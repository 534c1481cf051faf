import pytest

from apps.api.models import APIKey

PASSWORD = "correct-horse-battery-staple-42"


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user(email="ada@example.com", password=PASSWORD, first_name="Ada")


@pytest.fixture
def logged_in_client(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def api_key(user):
    _, raw_key = APIKey.objects.create_key(user=user, name="tests")
    return raw_key
