"""Forms of the queue configuration pages. They only shape input; the rules (name length and
uniqueness, members) are checked by `queues.services` and shown back on the fields."""

from django import forms
from django.utils.translation import gettext_lazy as _

from andon.queues.models import DispatchRule
from andon.queues.services import QUEUE_NAME_MAX


class QueueForm(forms.Form):
    name = forms.CharField(
        label=_("名称"),
        required=False,
        strip=False,
        help_text=_("最多 %s 个字符") % QUEUE_NAME_MAX,
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}),
    )
    description = forms.CharField(
        label=_("描述"),
        required=False,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 3}),
    )
    dispatch_rule = forms.ChoiceField(
        label=_("接单规则"),
        choices=DispatchRule.choices,
        initial=DispatchRule.ROUND_ROBIN,
        widget=forms.RadioSelect,
    )


def member_ids_from(data) -> tuple[list[int], bool]:
    """The picked member ids in order, and whether every submitted value was a valid id."""
    ids: list[int] = []
    valid = True
    for value in data.getlist("members"):
        text = str(value).strip()
        if text.isdigit() and 0 < len(text) <= 18 and int(text) > 0:
            ids.append(int(text))
        else:
            valid = False
    return ids, valid
