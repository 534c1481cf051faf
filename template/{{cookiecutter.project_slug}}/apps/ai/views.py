from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from .service import AIError, summarize


@login_required
def summarize_view(request):
    context = {"text": "", "summary": None, "error": None}
    if request.method == "POST":
        context["text"] = request.POST.get("text", "")
        try:
            context["summary"] = summarize(context["text"])
        except AIError as exc:
            context["error"] = str(exc)
    return render(request, "ai/summarize.html", context)
