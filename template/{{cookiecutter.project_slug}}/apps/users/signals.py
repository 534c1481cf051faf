"""What happens when someone signs up."""
from allauth.account.signals import user_signed_up
from django.dispatch import receiver
{%- if cookiecutter.use_posthog == 'y' %}

from apps.core import analytics
{%- endif %}
{%- if cookiecutter.use_posthog == 'y' and cookiecutter.use_apprise == 'y' %}
from apps.core.tasks import notify_admins_task, send_welcome_email_task
{%- elif cookiecutter.use_posthog == 'y' %}
from apps.core.tasks import send_welcome_email_task
{%- elif cookiecutter.use_apprise == 'y' %}

from apps.core.tasks import notify_admins_task, send_welcome_email_task
{%- else %}

from apps.core.tasks import send_welcome_email_task
{%- endif %}


@receiver(user_signed_up)
def on_user_signed_up(request, user, **kwargs):
    # sent by the task worker: sign-up never waits for the mail server
    send_welcome_email_task.delay(user.pk)
{%- if cookiecutter.use_posthog == 'y' %}
    analytics.capture(user, "user signed up", {"email_domain": user.email.split("@")[-1]})
{%- endif %}
{%- if cookiecutter.use_apprise == 'y' %}
    notify_admins_task.delay("New sign-up", f"{user.email} just signed up.")
{%- endif %}
