from django import forms
from django.utils.translation import gettext_lazy as _

from andon.wecom.config import SECRET_FIELDS, WeComConfig

LABELS = {
    "secret": _("应用 Secret"),
    "contacts_secret": _("通讯录同步 Secret（可选）"),
    "callback_token": _("回调 Token"),
    "callback_aes_key": _("回调 EncodingAESKey"),
}


class WeComSettingsForm(forms.Form):
    corp_id = forms.CharField(label=_("企业 ID（CorpID）"), max_length=64, required=False)
    agent_id = forms.CharField(label=_("应用 AgentId"), max_length=32, required=False)
    wecom_owns_org_chart = forms.BooleanField(
        label=_("组织架构以企业微信为准（人员与部门页面只读）"), required=False
    )

    def __init__(self, *args, config: WeComConfig, **kwargs):
        super().__init__(*args, **kwargs)
        for name in SECRET_FIELDS:
            self.fields[name] = forms.CharField(
                label=LABELS[name],
                required=False,
                max_length=200,
                # Never rendered back: the page says only whether it is set.
                widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
            )
            self.fields[f"clear_{name}"] = forms.BooleanField(label=_("清除"), required=False)
        for name in ("corp_id", "agent_id", *SECRET_FIELDS):
            if config.source(name) == "env":
                self.fields[name].disabled = True
                self.fields[name].help_text = _("由环境变量设置，不能在此修改")
                if f"clear_{name}" in self.fields:
                    self.fields[f"clear_{name}"].disabled = True

    def clean_agent_id(self):
        value = self.cleaned_data.get("agent_id", "").strip()
        if value and not value.isdigit():
            raise forms.ValidationError(_("AgentId 是数字"))
        return value

    def clean_callback_aes_key(self):
        value = self.cleaned_data.get("callback_aes_key", "").strip()
        if value and len(value) != 43:
            raise forms.ValidationError(_("EncodingAESKey 是 43 个字符"))
        return value

    def service_data(self) -> dict:
        data = {}
        for name, value in self.cleaned_data.items():
            if self.fields[name].disabled:
                continue
            data[name] = value.strip() if isinstance(value, str) else value
        return data
