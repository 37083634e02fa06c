"""The assistant against a real local chat-completions server (tests/llm_server.py), the
extractive fallback and the "不知道" answer; the streaming page endpoint."""

import json

import pytest

from andon.knowledge import assistant
from tests import factories
from tests.knowledge.conftest import publish, resolved_ticket
from tests.llm_server import LLMServer

pytestmark = pytest.mark.django_db


@pytest.fixture
def llm(settings):
    server = LLMServer(reply="请先更新证书 [1]，再重新连接 [2]。").start()
    settings.ANDON_LLM_BASE_URL = server.base_url
    settings.ANDON_LLM_MODEL = "hunyuan-test"
    settings.ANDON_LLM_API_KEY = "sk-test"
    settings.ANDON_LLM_TIMEOUT = 5
    yield server
    server.stop()


@pytest.fixture
def kb(editor):
    publish(
        editor,
        "VPN 提示证书过期",
        "## 处理\n运行 VPN 证书更新工具，按提示登录。\n\n证书每年更新一次。",
        visibility="public",
    )
    publish(editor, "VPN 网关排查（内部）", "VPN 证书过期时检查网关证书链。")
    publish(editor, "打印机卡纸", "打开前盖取出纸张。", visibility="public")


def test_llm_mode_sends_the_sources_and_returns_the_answer(llm, kb, reader):
    answer = assistant.ask(reader, "VPN 证书过期怎么办")
    assert answer.mode == "llm"
    assert answer.text == "请先更新证书 [1]，再重新连接 [2]。"
    assert [s.title for s in answer.sources][:1] == ["VPN 提示证书过期"]
    [request] = llm.requests
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"]["Authorization"] == "Bearer sk-test"
    body = request["body"]
    assert body["model"] == "hunyuan-test" and body["stream"] is False
    system, user = body["messages"]
    assert system["role"] == "system" and "不知道" in system["content"]
    assert "[1]" in system["content"] or "[1]" in user["content"]
    assert "[1] VPN 提示证书过期" in user["content"]
    assert "运行 VPN 证书更新工具" in user["content"]
    assert "VPN 证书过期怎么办" in user["content"]


def test_streaming_yields_sources_then_pieces(llm, kb, reader):
    prepared = assistant.prepare(reader, "VPN 证书过期怎么办")
    events = list(assistant.stream_events(prepared))
    assert events[0]["event"] == "sources" and events[0]["sources"][0]["type"] == "article"
    deltas = [e["text"] for e in events if e["event"] == "delta"]
    assert len(deltas) > 1 and "".join(deltas) == llm.reply
    assert events[-1] == {"event": "done", "mode": "llm"}
    assert llm.requests[-1]["body"]["stream"] is True


def test_public_only_never_sends_internal_articles_or_tickets(llm, kb, reader, entry, handlers):
    resolved_ticket(requester=reader, entry=entry, title="VPN 证书过期", resolution="更新了证书")
    answer = assistant.ask(reader, "VPN 证书过期", public_only=True)
    assert [s.title for s in answer.sources] == ["VPN 提示证书过期"]
    content = llm.requests[-1]["body"]["messages"][1]["content"]
    assert "网关" not in content and "更新了证书" not in content


def test_tickets_are_sources_with_their_resolution(llm, reader, entry, handlers):
    ticket = resolved_ticket(
        requester=reader,
        entry=entry,
        title="会议室投屏没有声音",
        description="大屏有画面没声音",
        resolution="把声音输出切换到会议室大屏",
    )
    answer = assistant.ask(reader, "投屏没有声音")
    [source] = answer.sources
    assert (
        source.type == "ticket" and source.id == ticket.pk and source.url.endswith(f"/{ticket.pk}/")
    )
    assert "把声音输出切换到会议室大屏" in llm.requests[-1]["body"]["messages"][1]["content"]


def test_extractive_without_an_endpoint(settings, kb, reader):
    settings.ANDON_LLM_BASE_URL = ""
    answer = assistant.ask(reader, "VPN 证书过期怎么办")
    assert answer.mode == "extractive"
    assert "[1] VPN 提示证书过期：" in answer.text and "运行 VPN 证书更新工具" in answer.text
    assert answer.as_dict()["sources"][0] == {
        "type": "article",
        "id": answer.sources[0].id,
        "title": "VPN 提示证书过期",
        "url": f"/knowledge/{answer.sources[0].id}/",
    }


def test_says_it_does_not_know(llm, kb, reader):
    answer = assistant.ask(reader, "食堂今天中午吃什么菜")
    assert answer.mode == "unknown" and answer.sources == []
    assert answer.text.startswith("不知道")
    assert llm.requests == []  # nothing worth asking the model about


def test_a_failing_endpoint_falls_back_to_extractive(llm, kb, reader):
    llm.status = 500
    answer = assistant.ask(reader, "VPN 证书过期怎么办")
    assert answer.mode == "extractive" and answer.sources
    events = list(assistant.stream_events(assistant.prepare(reader, "VPN 证书过期怎么办")))
    assert events[-1] == {"event": "done", "mode": "extractive"}


def test_question_is_validated(reader):
    from andon.core.errors import ValidationFailed

    for question in ("", "   ", "问" * 501):
        with pytest.raises(ValidationFailed):
            assistant.ask(reader, question)


def _events(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode()
    return [json.loads(line[6:]) for line in text.split("\n\n") if line.startswith("data: ")]


def test_stream_endpoint_serves_server_sent_events(client, llm, kb, reader):
    client.force_login(reader)
    response = client.post("/knowledge/assistant/stream/", {"question": "VPN 证书过期怎么办"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/event-stream")
    events = _events(response)
    assert events[0]["event"] == "sources"
    assert "".join(e["text"] for e in events if e["event"] == "delta") == llm.reply
    # The portal's flag: public sources only.
    events = _events(
        client.post("/knowledge/assistant/stream/", {"question": "VPN 证书", "public": "on"})
    )
    assert [s["title"] for s in events[0]["sources"]] == ["VPN 提示证书过期"]
    assert client.post("/knowledge/assistant/stream/", {"question": ""}).status_code == 400


def test_stream_endpoint_refuses_anonymous_and_is_public_only_without_knowledge_view(
    client, settings, kb
):
    settings.ANDON_LLM_BASE_URL = ""
    assert client.post("/knowledge/assistant/stream/", {"question": "VPN"}).status_code == 401
    client.force_login(factories.UserFactory())  # signed in, no knowledge.view (a portal user)
    events = _events(client.post("/knowledge/assistant/stream/", {"question": "VPN 证书过期"}))
    assert [s["title"] for s in events[0]["sources"]] == ["VPN 提示证书过期"]
    assert events[-1]["mode"] == "extractive"
