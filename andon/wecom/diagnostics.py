"""The settings page's connection test: gettoken and agent/get, each result in words."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from andon.wecom import config as wecom_config
from andon.wecom.client import WeComClient
from andon.wecom.errors import WeComError, WeComNotConfigured, WeComTransportError

# What the errcodes an administrator can fix mean.
EXPLAINED = {
    40001: lambda: _("Secret 不正确（40001）：请核对应用的 Secret"),
    40013: lambda: _("企业 ID 不正确（40013）：请核对「我的企业」里的企业 ID"),
    40056: lambda: _("AgentId 不正确（40056）：请核对应用的 AgentId"),
    60020: lambda: _("服务器 IP 不在应用的企业可信 IP 里（60020）"),
    48002: lambda: _("应用没有这个接口的权限（48002）：请在应用的「权限」里开通"),
    45009: lambda: _("调用太频繁，被企业微信限流（45009），请稍后再试"),
}


@dataclass(frozen=True)
class Check:
    api: str
    ok: bool
    words: str


def _explain(exc: WeComError) -> str:
    if isinstance(exc, WeComNotConfigured):
        return _("尚未配置：%s") % exc.errmsg
    if isinstance(exc, WeComTransportError):
        return _("连不上企业微信：%s") % exc.errmsg
    explain = EXPLAINED.get(exc.errcode)
    return (
        explain()
        if explain
        else _("企业微信返回错误 %(code)s：%(msg)s")
        % {
            "code": exc.errcode,
            "msg": exc.errmsg,
        }
    )


def connection_test() -> list[Check]:
    config = wecom_config.current()
    checks: list[Check] = []
    with WeComClient(timeout=5) as client:
        try:
            _token, expires_in = client.fresh_access_token()
        except WeComError as exc:
            return [Check("gettoken", False, _explain(exc))]
        checks.append(
            Check("gettoken", True, _("获取 access_token 成功，有效期 %s 秒") % expires_in)
        )
        if not config.agent_id:
            checks.append(Check("agent/get", False, _("尚未填写 AgentId")))
            return checks
        try:
            agent = client.get_agent()
        except WeComError as exc:
            checks.append(Check("agent/get", False, _explain(exc)))
            return checks
    users = len((agent.get("allow_userinfos") or {}).get("user", []))
    parties = len((agent.get("allow_partys") or {}).get("partyid", []))
    tags = len((agent.get("allow_tags") or {}).get("tagid", []))
    words = _(
        "应用「%(name)s」可用；可见范围：%(users)s 个成员、%(parties)s 个部门、%(tags)s 个标签"
    ) % {"name": agent.get("name", ""), "users": users, "parties": parties, "tags": tags}
    if agent.get("close"):
        checks.append(Check("agent/get", False, _("应用已被停用：%s") % words))
    else:
        checks.append(Check("agent/get", True, words))
    return checks
