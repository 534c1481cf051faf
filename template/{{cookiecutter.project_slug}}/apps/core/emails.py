"""Transactional emails: a plain-text body and an HTML alternative."""
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
{%- if cookiecutter.use_mjml == 'y' %}
from mjml import mjml_to_html


def render_html(template_name: str, context: dict) -> str:
    """Render an MJML template with Django, then compile it to responsive HTML."""
    source = render_to_string(template_name, context)
    result = mjml_to_html(source)
    if result.errors:
        raise ValueError(f"{template_name}: {result.errors}")
    return result.html
{%- else %}


def render_html(template_name: str, context: dict) -> str:
    return render_to_string(template_name, context)
{%- endif %}


def send_email(to: str, subject: str, template: str, context: dict) -> None:
    """Send templates/emails/<template>.txt with its HTML version."""
    context = {"site_name": settings.SITE_NAME, "site_url": settings.SITE_URL, **context}
    text = render_to_string(f"emails/{template}.txt", context)
{%- if cookiecutter.use_mjml == 'y' %}
    html = render_html(f"emails/{template}.mjml", context)
{%- else %}
    html = render_html(f"emails/{template}.html", context)
{%- endif %}
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [to])
    message.attach_alternative(html, "text/html")
    message.send()


def send_welcome_email(user) -> None:
    send_email(
        user.email,
        f"Welcome to {settings.SITE_NAME}",
        "welcome",
        {"user": user, "dashboard_url": f"{settings.SITE_URL}/dashboard/"},
    )
