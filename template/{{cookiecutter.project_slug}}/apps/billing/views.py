import json
import logging

import stripe
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import services

logger = logging.getLogger(__name__)


def pricing(request):
    return render(request, "billing/pricing.html", {"price_configured": bool(settings.STRIPE_PRICE_ID)})


@login_required
@require_POST
def checkout(request):
    if not (settings.STRIPE_SECRET_KEY and settings.STRIPE_PRICE_ID):
        messages.error(request, "Payments are not configured yet.")
        return redirect("billing:pricing")
    url = services.create_checkout_session(
        request.user,
        success_url=request.build_absolute_uri(reverse("billing:success")),
        cancel_url=request.build_absolute_uri(reverse("billing:pricing")),
    )
    return redirect(url)


@login_required
@require_POST
def portal(request):
    if not request.user.stripe_customer_id:
        messages.info(request, "You have no subscription yet.")
        return redirect("billing:pricing")
    url = services.create_portal_session(request.user, request.build_absolute_uri(reverse("core:settings")))
    return redirect(url)


@login_required
def success(request):
    messages.success(request, "Thank you! Your subscription is being activated.")
    return redirect("core:dashboard")


@csrf_exempt
@require_POST
def webhook(request):
    """Stripe calls this; only events signed with STRIPE_WEBHOOK_SECRET are applied."""
    signature = request.headers.get("Stripe-Signature", "")
    if not settings.STRIPE_WEBHOOK_SECRET or not signature:
        return HttpResponseBadRequest("missing signature")
    try:
        services.verify_event(request.body, signature)
    except (ValueError, stripe.SignatureVerificationError):
        logger.warning("rejected a Stripe webhook with a bad signature")
        return HttpResponseBadRequest("invalid signature")
    services.handle_event(json.loads(request.body))
    return HttpResponse(status=200)
