"""Markdown to HTML for content written by the site's own authors."""
import markdown

EXTENSIONS = ["extra", "sane_lists", "toc", "codehilite"]


def render_markdown(text: str) -> str:
    return markdown.markdown(text, extensions=EXTENSIONS, extension_configs={"codehilite": {"guess_lang": False}})


def render_markdown_with_toc(text: str) -> tuple[str, str]:
    md = markdown.Markdown(extensions=EXTENSIONS, extension_configs={"codehilite": {"guess_lang": False}})
    html = md.convert(text)
    return html, md.toc
