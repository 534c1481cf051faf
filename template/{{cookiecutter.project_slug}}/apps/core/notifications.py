"""Admin notifications through Apprise URLs, falling back to email.

APPRISE_URLS is a comma-separated list such as
"tgram://bottoken/ChatID,slack://TokenA/TokenB/TokenC"; see
https://github.com/caronc/apprise for every supported service.
"""
import logging

import apprise
from django.conf import settings
from django.core.mail import mail_admins

logger = logging.getLogger(__name__)


def notify_admins(title: str, body: str) -> bool:
    """Tell the admins; returns True when someone was notified."""
    if settings.APPRISE_URLS:
        notifier = apprise.Apprise()
        for url in settings.APPRISE_URLS:
            notifier.add(url)
        if notifier.notify(title=title, body=body):
            return True
        logger.warning("apprise notification failed, falling back to email")
    if settings.ADMINS:
        mail_admins(title, body, fail_silently=True)
        return True
    return False
