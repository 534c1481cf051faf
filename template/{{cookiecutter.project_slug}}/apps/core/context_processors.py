from django.conf import settings
{%- if cookiecutter.use_chatwoot == 'y' %}

from .chatwoot import identifier_hash
{%- endif %}


def site(request):
    """Values every template can use."""
    context = {
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL,
        "tailwind_built": (settings.BASE_DIR / "static" / "css" / "app.css").exists(),
{%- if cookiecutter.use_posthog == 'y' %}
        "posthog_api_key": settings.POSTHOG_API_KEY,
        "posthog_host": settings.POSTHOG_HOST,
{%- endif %}
{%- if cookiecutter.use_chatwoot == 'y' %}
        "chatwoot_base_url": settings.CHATWOOT_BASE_URL,
        "chatwoot_website_token": settings.CHATWOOT_WEBSITE_TOKEN,
{%- endif %}
    }
{%- if cookiecutter.use_chatwoot == 'y' %}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        context["chatwoot_identifier_hash"] = identifier_hash(str(user.pk))
{%- endif %}
    return context
