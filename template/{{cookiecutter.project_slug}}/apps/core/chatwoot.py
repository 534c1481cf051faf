"""Chatwoot identity validation: the widget's user is signed with HMAC-SHA256."""
import hashlib
import hmac

from django.conf import settings


def identifier_hash(identifier: str) -> str:
    if not settings.CHATWOOT_HMAC_TOKEN:
        return ""
    return hmac.new(
        settings.CHATWOOT_HMAC_TOKEN.encode(), identifier.encode(), hashlib.sha256
    ).hexdigest()
