from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from adapters import failures

register = template.Library()


@register.filter
def failure(message: object) -> SafeString | str:
    """A failure as people read it, its technical detail one click away."""
    text, detail = failures.split(str(message or ""))
    if not detail:
        return text
    return format_html('{} <details class="detail"><summary>technical detail</summary>'
                       "<code>{}</code></details>", text, detail)


@register.filter
def failure_text(message: object) -> str:
    """Only what people read (for a tooltip)."""
    return failures.split(str(message or ""))[0]
