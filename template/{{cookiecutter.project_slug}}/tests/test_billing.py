import hashlib
import hmac
import json
import time
from types import SimpleNamespace
from unittest import mock

import pytest
from django.urls import reverse

WEBHOOK_SECRET = "whsec_test_secret"


@pytest.fixture(autouse=True)
def stripe_settings(settings):
    settings.STRIPE_SECRET_KEY = "sk_test_dummy"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_PRICE_ID = "price_123"


def signed(payload: bytes, secret: str = WEBHOOK_SECRET) -> str:
    timestamp = int(time.time())
    signature = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={signature}"


def post_event(client, event: dict, signature: str | None = None):
    payload = json.dumps(event).encode()
    headers = {"Stripe-Signature": signature if signature is not None else signed(payload)}
    return client.post(reverse("billing:webhook"), payload, content_type="application/json", headers=headers)


def test_pricing_page_is_public(client):
    response = client.get(reverse("billing:pricing"))
    assert response.status_code == 200
    assert b"Pricing" in response.content


def test_webhook_rejects_a_missing_signature(client, user):
    payload = json.dumps({"type": "checkout.session.completed"}).encode()
    response = client.post(reverse("billing:webhook"), payload, content_type="application/json")
    assert response.status_code == 400


def test_webhook_rejects_a_forged_signature(client, user):
    event = {
        "type": "checkout.session.completed",
        "data": {"object": {"client_reference_id": str(user.pk), "customer": "cus_evil"}},
    }
    payload = json.dumps(event).encode()
    response = post_event(client, event, signature=signed(payload, secret="whsec_wrong"))
    assert response.status_code == 400
    user.refresh_from_db()
    assert user.stripe_customer_id == ""
    assert not user.has_active_subscription


def test_webhook_checkout_completed_activates_the_subscription(client, user):
    event = {
        "id": "evt_1",
        "type": "checkout.session.completed",
        "data": {
            "object": {"id": "cs_1", "client_reference_id": str(user.pk), "customer": "cus_1", "subscription": "sub_1"}
        },
    }
    assert post_event(client, event).status_code == 200
    user.refresh_from_db()
    assert user.stripe_customer_id == "cus_1"
    assert user.stripe_subscription_id == "sub_1"
    assert user.has_active_subscription


def test_webhook_subscription_deleted_cancels(client, user):
    user.stripe_customer_id = "cus_1"
    user.subscription_status = "active"
    user.save()
    event = {
        "id": "evt_2",
        "type": "customer.subscription.deleted",
        "data": {
            "object": {"id": "sub_1", "customer": "cus_1", "status": "canceled", "current_period_end": 1767225600}
        },
    }
    assert post_event(client, event).status_code == 200
    user.refresh_from_db()
    assert user.subscription_status == "canceled"
    assert not user.has_active_subscription
    assert user.subscription_current_period_end.year == 2026


def test_checkout_requires_login(client):
    response = client.post(reverse("billing:checkout"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_checkout_redirects_to_the_stripe_session(logged_in_client, user):
    session = SimpleNamespace(url="https://checkout.test/s")
    with mock.patch("stripe.checkout.Session.create", return_value=session) as create:
        response = logged_in_client.post(reverse("billing:checkout"))
    assert response.status_code == 302
    assert response.url == "https://checkout.test/s"
    params = create.call_args.kwargs
    assert params["client_reference_id"] == str(user.pk)
    assert params["line_items"] == [{"price": "price_123", "quantity": 1}]
    assert params["customer_email"] == user.email


def test_portal_redirects_a_customer(logged_in_client, user):
    user.stripe_customer_id = "cus_1"
    user.save()
    with mock.patch("stripe.billing_portal.Session.create", return_value=SimpleNamespace(url="https://portal.test/p")):
        response = logged_in_client.post(reverse("billing:portal"))
    assert response.url == "https://portal.test/p"
