"""Documentation pages: the Markdown files of DOCS_CONTENT_DIR.

A file named `02-getting-started.md` becomes /docs/getting-started/; the
number orders the navigation and the first `# Heading` is the page title.
"""
import re
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from apps.core.markdown import render_markdown_with_toc

NAME_RE = re.compile(r"^(?:(\d+)[-_])?([a-z0-9][a-z0-9-]*)\.md$")


@dataclass(frozen=True)
class DocPage:
    slug: str
    title: str
    order: int
    path: Path

    def render(self) -> tuple[str, str]:
        return render_markdown_with_toc(self.path.read_text(encoding="utf-8"))


def _title(path: Path, slug: str) -> str:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return slug.replace("-", " ").capitalize()


def all_pages(content_dir: Path | None = None) -> list[DocPage]:
    folder = Path(content_dir or settings.DOCS_CONTENT_DIR)
    pages = []
    for path in sorted(folder.glob("*.md")):
        match = NAME_RE.match(path.name)
        if not match:
            continue
        order = int(match.group(1) or 999)
        slug = match.group(2)
        pages.append(DocPage(slug=slug, title=_title(path, slug), order=order, path=path))
    return sorted(pages, key=lambda page: (page.order, page.slug))


def find_page(slug: str) -> tuple[DocPage | None, DocPage | None, DocPage | None]:
    """The page with this slug and its neighbours in the navigation."""
    pages = all_pages()
    for index, page in enumerate(pages):
        if page.slug == slug:
            previous = pages[index - 1] if index > 0 else None
            following = pages[index + 1] if index + 1 < len(pages) else None
            return page, previous, following
    return None, None, None
