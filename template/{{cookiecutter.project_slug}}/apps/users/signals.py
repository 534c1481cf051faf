"""What happens when someone signs up."""
from allauth.account.signals import user_signed_up
from django.dispatch import receiver
{%- if cookiecutter.use_posthog == 'y' %}

from apps.core import analytics
from apps.core.emails import send_welcome_email
{%- else %}

from apps.core.emails import send_welcome_email
{%- endif %}
{%- if cookiecutter.use_apprise == 'y' %}
from apps.core.notifications import notify_admins
{%- endif %}


@receiver(user_signed_up)
def on_user_signed_up(request, user, **kwargs):
    send_welcome_email(user)
{%- if cookiecutter.use_posthog == 'y' %}
    analytics.capture(user, "user signed up", {"email_domain": user.email.split("@")[-1]})
{%- endif %}
{%- if cookiecutter.use_apprise == 'y' %}
    notify_admins("New sign-up", f"{user.email} just signed up.")
{%- endif %}
