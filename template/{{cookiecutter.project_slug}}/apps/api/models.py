import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

KEY_PREFIX_LENGTH = 8


def hash_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


class APIKeyManager(models.Manager):
    def create_key(self, user, name: str = "API key"):
        """Create a key; returns (APIKey, raw key). Only the digest is stored."""
        raw_key = "sk_" + secrets.token_urlsafe(32)
        key = self.create(user=user, name=name, prefix=raw_key[:KEY_PREFIX_LENGTH + 3], hashed_key=hash_key(raw_key))
        return key, raw_key

    def get_active(self, raw_key: str):
        if not raw_key:
            return None
        return (
            self.select_related("user")
            .filter(hashed_key=hash_key(raw_key), revoked_at__isnull=True, user__is_active=True)
            .first()
        )


class APIKey(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, editable=False)
    hashed_key = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = APIKeyManager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API key"

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    def revoke(self):
        self.revoked_at = timezone.now()
        self.save(update_fields=["revoked_at"])
