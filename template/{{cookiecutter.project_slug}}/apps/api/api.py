"""The project's HTTP API (django-ninja). Interactive docs: /api/docs."""
from django.conf import settings
from ninja import NinjaAPI
{%- if cookiecutter.use_ai == 'y' %}
from ninja.errors import HttpError

from apps.ai.service import AIError, summarize
{%- endif %}
{%- if cookiecutter.generate_blog == 'y' and cookiecutter.use_ai == 'y' %}
from apps.blog.models import Post
{%- elif cookiecutter.generate_blog == 'y' %}

from apps.blog.models import Post
{%- endif %}

from .auth import api_key_auth
{%- if cookiecutter.generate_blog == 'y' and cookiecutter.use_ai == 'y' %}
from .schemas import HealthOut, MeOut, PostOut, SummarizeIn, SummarizeOut
{%- elif cookiecutter.generate_blog == 'y' %}
from .schemas import HealthOut, MeOut, PostOut
{%- elif cookiecutter.use_ai == 'y' %}
from .schemas import HealthOut, MeOut, SummarizeIn, SummarizeOut
{%- else %}
from .schemas import HealthOut, MeOut
{%- endif %}

api = NinjaAPI(
    title=f"{settings.SITE_NAME} API",
    version="1.0.0",
    auth=api_key_auth,
    urls_namespace="api",
)


@api.get("/health", response=HealthOut, auth=None, tags=["meta"])
def health(request):
    """Liveness probe for load balancers; needs no key."""
    return {"status": "ok"}


@api.get("/me", response=MeOut, tags=["account"])
def me(request):
    """The account that owns the API key."""
    user = request.auth
    return {
        "id": user.pk,
        "email": user.email,
        "name": user.display_name,
        "date_joined": user.date_joined,
{%- if cookiecutter.use_stripe == 'y' %}
        "subscription_status": user.subscription_status or "none",
{%- endif %}
    }
{%- if cookiecutter.generate_blog == 'y' %}


@api.get("/posts", response=list[PostOut], tags=["blog"])
def list_posts(request, limit: int = 20):
    """Published blog posts, newest first."""
    posts = Post.objects.published()[: max(1, min(limit, 100))]
    return [
        {
            "title": post.title,
            "slug": post.slug,
            "summary": post.summary,
            "url": settings.SITE_URL + post.get_absolute_url(),
            "published_at": post.published_at,
        }
        for post in posts
    ]
{%- endif %}
{%- if cookiecutter.use_ai == 'y' %}


@api.post("/ai/summarize", response=SummarizeOut, tags=["ai"])
def ai_summarize(request, payload: SummarizeIn):
    """Summarize a text with the configured AI provider."""
    try:
        return {"summary": summarize(payload.text)}
    except AIError as exc:
        raise HttpError(503, str(exc)) from exc
{%- endif %}
