from django.core import mail
from django.urls import reverse

from .conftest import PASSWORD


def test_sign_up_creates_the_account_logs_in_and_sends_a_welcome_email(client, django_user_model):
    response = client.post(
        reverse("account_signup"),
        {"email": "grace@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    assert response.url == reverse("core:dashboard")
    user = django_user_model.objects.get(email="grace@example.com")
    assert user.check_password(PASSWORD)
    assert client.get(reverse("core:dashboard")).status_code == 200
    welcome = [m for m in mail.outbox if m.subject.startswith("Welcome to")]
    assert len(welcome) == 1
    assert welcome[0].to == ["grace@example.com"]
    html, mimetype = welcome[0].alternatives[0]
    assert mimetype == "text/html"
    assert "/dashboard/" in html


def test_sign_up_rejects_mismatched_passwords(client, django_user_model):
    response = client.post(
        reverse("account_signup"),
        {"email": "grace@example.com", "password1": PASSWORD, "password2": PASSWORD + "x"},
    )
    assert response.status_code == 200
    assert not django_user_model.objects.filter(email="grace@example.com").exists()


def test_sign_up_rejects_a_taken_email(client, user, django_user_model):
    response = client.post(
        reverse("account_signup"),
        {"email": user.email, "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 200
    assert django_user_model.objects.filter(email=user.email).count() == 1


def test_login_page_uses_the_site_layout(client, db):
    response = client.get(reverse("account_login"))
    assert response.status_code == 200
    content = response.content.decode()
    assert 'class="allauth' in content
    assert 'name="login"' in content and 'name="password"' in content
    assert reverse("account_signup") in content


def test_login_with_email_and_password(client, user):
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("core:dashboard")
    assert client.get(reverse("core:dashboard")).status_code == 200


def test_login_with_a_wrong_password_fails(client, user):
    response = client.post(reverse("account_login"), {"login": user.email, "password": "wrong-password"})
    assert response.status_code == 200
    assert client.get(reverse("core:dashboard")).status_code == 302


def test_logout_ends_the_session(logged_in_client):
    response = logged_in_client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert logged_in_client.get(reverse("core:dashboard")).status_code == 302
