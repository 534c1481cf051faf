from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from apps.api.models import APIKey
from apps.users.forms import ProfileForm


def landing(request):
    return render(request, "core/landing.html")


@login_required
def dashboard(request):
    context = {
        "api_key_count": request.user.api_keys.filter(revoked_at__isnull=True).count(),
    }
    return render(request, "core/dashboard.html", context)


@login_required
def settings_page(request):
    if request.method == "POST":
        form = ProfileForm(request.POST, request.FILES, instance=request.user)
        if form.is_valid():
            form.save()
            messages.success(request, "Your profile was saved.")
            return redirect("core:settings")
    else:
        form = ProfileForm(instance=request.user)
    context = {
        "form": form,
        "api_keys": request.user.api_keys.filter(revoked_at__isnull=True),
        "new_api_key": request.session.pop("new_api_key", None),
    }
    return render(request, "core/settings.html", context)


@login_required
@require_POST
def create_api_key(request):
    name = request.POST.get("name", "").strip()[:100] or "API key"
    _, raw_key = APIKey.objects.create_key(user=request.user, name=name)
    # shown once on the next page, never stored in clear
    request.session["new_api_key"] = raw_key
    messages.success(request, "Your new API key is shown below. Copy it now: it is not shown again.")
    return redirect("core:settings")


@login_required
@require_POST
def revoke_api_key(request, key_id):
    key = get_object_or_404(APIKey, pk=key_id, user=request.user, revoked_at__isnull=True)
    key.revoke()
    messages.success(request, f"API key “{key.name}” was revoked.")
    return redirect("core:settings")
