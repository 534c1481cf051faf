from django.core import mail

from apps.core.emails import render_html, send_welcome_email


def test_welcome_email_is_compiled_from_mjml(user):
    context = {"user": user, "site_name": "Site", "site_url": "http://x", "dashboard_url": "http://x/dashboard/"}
    html = render_html("emails/welcome.mjml", context)
    assert "<mj-" not in html
    assert "<html" in html.lower()
    assert "Welcome to Site" in html


def test_welcome_email_has_the_compiled_html_alternative(user):
    send_welcome_email(user)
    html, mimetype = mail.outbox[0].alternatives[0]
    assert mimetype == "text/html"
    assert "<mj-" not in html and "Open your dashboard" in html
