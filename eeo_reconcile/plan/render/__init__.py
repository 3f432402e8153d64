"""Plans rendered for people (text), machines (JSON) and pull requests (Markdown).

A new output format is a module here with a `render_<format>(plan, view) -> str`,
listed in RENDERERS (which the CLI's --format choices come from). `View` says
how: redaction (`privacy.Redactor`), the per-course table only, colour.
"""

from collections.abc import Callable

from ..plan import Plan
from .common import View, describe_change, summary_line
from .json import render_json
from .markdown import GITHUB_COMMENT_LIMIT, render_markdown
from .text import render_text

RENDERERS: dict[str, Callable[[Plan, View], str]] = {
    "text": render_text,
    "json": render_json,
    "markdown": render_markdown,
}

__all__ = [
    "GITHUB_COMMENT_LIMIT", "RENDERERS", "View", "describe_change", "render_json",
    "render_markdown", "render_text", "summary_line",
]
