"""API key authentication: `X-API-Key: <key>` or `Authorization: Bearer <key>`."""
from django.utils import timezone
from ninja.security import APIKeyHeader, HttpBearer

from .models import APIKey


def _authenticate(request, raw_key):
    key = APIKey.objects.get_active(raw_key)
    if key is None:
        return None
    APIKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
    request.user = key.user
    request.api_key = key
    return key.user


class ApiKeyHeaderAuth(APIKeyHeader):
    param_name = "X-API-Key"

    def authenticate(self, request, key):
        return _authenticate(request, key)


class BearerKeyAuth(HttpBearer):
    def authenticate(self, request, token):
        return _authenticate(request, token)


api_key_auth = [ApiKeyHeaderAuth(), BearerKeyAuth()]
