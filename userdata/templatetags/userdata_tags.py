from django import template

from userdata.access import sees_everything

register = template.Library()


@register.inclusion_tag("userdata/round_sync.html", takes_context=True)
def user_data_sync(context: template.Context, round_) -> dict:
    """The user-data sync that a round started, for its page; its entries are linked for
    administrators and operators only."""
    return {"runs": round_.user_data_runs.all(),
            "may_read": sees_everything(context["request"].user)}
