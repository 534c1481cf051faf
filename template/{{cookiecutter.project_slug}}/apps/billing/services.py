"""Stripe: checkout and portal sessions, and the subscription state on the user."""
import datetime
import logging

import stripe
from django.conf import settings
from django.contrib.auth import get_user_model
{%- if cookiecutter.use_posthog == 'y' %}

from apps.core import analytics
{%- endif %}

logger = logging.getLogger(__name__)

SUBSCRIPTION_EVENTS = {
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
}


def create_checkout_session(user, success_url: str, cancel_url: str) -> str:
    """Start a subscription checkout; returns the Stripe-hosted page URL."""
    params = {
        "mode": "subscription",
        "line_items": [{"price": settings.STRIPE_PRICE_ID, "quantity": 1}],
        "client_reference_id": str(user.pk),
        "success_url": success_url,
        "cancel_url": cancel_url,
        "api_key": settings.STRIPE_SECRET_KEY,
    }
    if user.stripe_customer_id:
        params["customer"] = user.stripe_customer_id
    else:
        params["customer_email"] = user.email
    session = stripe.checkout.Session.create(**params)
    return session.url


def create_portal_session(user, return_url: str) -> str:
    """The customer portal, where a subscriber manages or cancels the plan."""
    session = stripe.billing_portal.Session.create(
        customer=user.stripe_customer_id,
        return_url=return_url,
        api_key=settings.STRIPE_SECRET_KEY,
    )
    return session.url


def verify_event(payload: bytes, signature: str):
    """Raises stripe.SignatureVerificationError unless Stripe signed this payload."""
    return stripe.Webhook.construct_event(payload, signature, settings.STRIPE_WEBHOOK_SECRET)


def _period_end(subscription: dict):
    end = subscription.get("current_period_end")
    if end is None:
        items = (subscription.get("items") or {}).get("data") or []
        end = items[0].get("current_period_end") if items else None
    if end is None:
        return None
    return datetime.datetime.fromtimestamp(int(end), tz=datetime.UTC)


def handle_event(event: dict) -> bool:
    """Apply a verified webhook event; returns True when it changed a user."""
    User = get_user_model()
    kind = event.get("type", "")
    obj = event.get("data", {}).get("object", {})
    if kind == "checkout.session.completed":
        user = User.objects.filter(pk=obj.get("client_reference_id") or 0).first()
        if user is None:
            logger.warning("checkout for an unknown user: %s", obj.get("id"))
            return False
        user.stripe_customer_id = obj.get("customer") or user.stripe_customer_id
        user.stripe_subscription_id = obj.get("subscription") or user.stripe_subscription_id
        user.subscription_status = User.SubscriptionStatus.ACTIVE
        user.save(update_fields=["stripe_customer_id", "stripe_subscription_id", "subscription_status"])
{%- if cookiecutter.use_posthog == 'y' %}
        analytics.capture(user, "subscription started", {"amount_total": obj.get("amount_total")})
{%- endif %}
        return True
    if kind in SUBSCRIPTION_EVENTS:
        user = User.objects.filter(stripe_customer_id=obj.get("customer") or "-").first()
        if user is None:
            logger.warning("subscription event for an unknown customer: %s", obj.get("customer"))
            return False
        status = obj.get("status", "")
        if kind == "customer.subscription.deleted":
            status = User.SubscriptionStatus.CANCELED
        if status not in User.SubscriptionStatus.values:
            status = User.SubscriptionStatus.INCOMPLETE
        user.stripe_subscription_id = obj.get("id", "")
        user.subscription_status = status
        user.subscription_current_period_end = _period_end(obj)
        user.save(
            update_fields=["stripe_subscription_id", "subscription_status", "subscription_current_period_end"]
        )
        return True
    return False
