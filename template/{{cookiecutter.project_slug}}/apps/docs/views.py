from django.http import Http404
from django.shortcuts import redirect, render

from .pages import all_pages, find_page


def index(request):
    pages = all_pages()
    if not pages:
        raise Http404("No documentation yet.")
    return redirect("docs:page", slug=pages[0].slug)


def page(request, slug):
    current, previous, following = find_page(slug)
    if current is None:
        raise Http404("No such page.")
    html, toc = current.render()
    context = {
        "pages": all_pages(),
        "page": current,
        "content": html,
        "toc": toc,
        "previous": previous,
        "next": following,
    }
    return render(request, "docs/page.html", context)
