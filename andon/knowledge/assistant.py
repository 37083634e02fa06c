"""The assistant (智能问答): answers a question from published articles and resolved tickets and
cites them.

    ask(user_or_none, question, *, public_only=False) -> Answer(text, sources, mode)
    prepare(user_or_none, question, *, public_only=False) -> Prepared   (retrieval only)
    stream_events(prepared) -> Iterator[dict]                            (for server-sent events)

mode is "llm" (an OpenAI-compatible chat endpoint is configured: settings.ANDON_LLM_BASE_URL,
ANDON_LLM_MODEL, ANDON_LLM_API_KEY, ANDON_LLM_TIMEOUT), "extractive" (none configured, or it
failed: the best passages with their citations) or "unknown" (no source scored above the
threshold: the assistant says it does not know).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field

import httpx
from django.conf import settings
from django.utils.translation import gettext as _

from andon.core.errors import ValidationFailed
from andon.knowledge import search

logger = logging.getLogger(__name__)

QUESTION_MAX = 500
# A source must contain at least this share of the question's terms to be used at all.
MIN_COVERAGE = 0.5
MAX_SOURCES = 5
PASSAGE_CHARS = 360

SYSTEM_PROMPT = (
    "你是企业 IT 服务台的智能问答助手。只能根据用户消息中编号给出的资料回答问题，"
    "不要使用资料以外的知识，也不要编造。回答要简洁、分步骤，用中文。"
    "引用资料时在句末标注编号，例如 [1]、[2]。"
    "如果资料没有覆盖这个问题，直接回答“不知道”，并建议提交工单。"
)


@dataclass
class Source:
    type: str  # "article" or "ticket"
    id: int
    title: str
    url: str
    passage: str = field(default="", repr=False)
    matched_terms: list[str] = field(default_factory=list)

    def public_dict(self) -> dict:
        return {"type": self.type, "id": self.id, "title": self.title, "url": self.url}


@dataclass
class Answer:
    text: str
    sources: list[Source]
    mode: str  # "llm", "extractive" or "unknown"

    def as_dict(self) -> dict:
        return {
            "answer": self.text,
            "sources": [s.public_dict() for s in self.sources],
            "mode": self.mode,
        }


@dataclass
class Prepared:
    question: str
    sources: list[Source]
    use_llm: bool


class LLMError(Exception):
    pass


def clean_question(question) -> str:
    text = str(question or "").strip()
    if not text:
        raise ValidationFailed(_("请输入问题"), errors={"question": [_("请输入问题")]})
    if len(text) > QUESTION_MAX:
        message = _("问题最多 %(n)d 个字") % {"n": QUESTION_MAX}
        raise ValidationFailed(message, errors={"question": [message]})
    return text


_CHUNK_SPLIT = re.compile(r"\n\s*\n|\n(?=#)|\n(?=\s*(?:[-*]|\d+[.、]))")


def best_passage(text: str, terms: list[str], *, limit: int = PASSAGE_CHARS) -> str:
    """The chunks of `text` that hold the most query terms, in reading order, cut to `limit`."""
    chunks = [search.plain_text(c) for c in _CHUNK_SPLIT.split(text or "")]
    chunks = [c for c in chunks if c]
    if not chunks:
        return ""
    lowered = [c.lower() for c in chunks]
    scored = sorted(
        range(len(chunks)),
        key=lambda i: (-sum(1 for t in terms if t in lowered[i]), i),
    )
    chosen, size = [], 0
    for i in scored:
        if size and sum(1 for t in terms if t in lowered[i]) == 0:
            break
        chosen.append(i)
        size += len(chunks[i])
        if size >= limit:
            break
    passage = " ".join(chunks[i] for i in sorted(chosen))
    return passage if len(passage) <= limit else passage[: limit - 1] + "…"


def retrieve(user_or_none, question: str, *, public_only: bool = False) -> list[Source]:
    hits = search.search_articles(user_or_none, question, public_only=public_only, limit=4)
    if not public_only:
        hits += search.search_tickets(user_or_none, question, limit=3)
    hits = [h for h in hits if h.coverage >= MIN_COVERAGE]
    # Stable: articles stay ahead of tickets at equal coverage.
    hits.sort(key=lambda h: -h.coverage)
    sources = []
    for hit in hits[:MAX_SOURCES]:
        if hit.kind == "article":
            passage = best_passage(hit.obj.body, hit.matched_terms)
            title = hit.title
        else:
            ticket = hit.obj
            passage = _("问题：%(problem)s；解决办法：%(resolution)s") % {
                "problem": search.plain_text(ticket.description)[:120] or ticket.title,
                "resolution": best_passage(ticket.resolution, hit.matched_terms, limit=240),
            }
            title = f"{ticket.number} {ticket.title}"
        sources.append(
            Source(
                type=hit.kind,
                id=hit.id,
                title=title,
                url=hit.url,
                passage=passage,
                matched_terms=hit.matched_terms,
            )
        )
    return sources


def llm_configured() -> bool:
    return bool(getattr(settings, "ANDON_LLM_BASE_URL", ""))


def prepare(user_or_none, question, *, public_only: bool = False) -> Prepared:
    text = clean_question(question)
    sources = retrieve(user_or_none, text, public_only=public_only)
    return Prepared(question=text, sources=sources, use_llm=bool(sources) and llm_configured())


def unknown_text() -> str:
    return _(
        "不知道：知识库和已解决的工单里没有找到能回答这个问题的内容。可以换个说法再问，或者提交工单。"
    )


def extractive_text(sources: list[Source]) -> str:
    lines = [_("根据知识库和已解决的工单，以下内容可能有帮助：")]
    for number, source in enumerate(sources, start=1):
        lines.append(f"[{number}] {source.title}：{source.passage}")
    return "\n\n".join(lines)


def build_messages(question: str, sources: list[Source]) -> list[dict]:
    material = "\n\n".join(f"[{n}] {s.title}\n{s.passage}" for n, s in enumerate(sources, start=1))
    user = _("资料：\n%(material)s\n\n问题：%(question)s") % {
        "material": material,
        "question": question,
    }
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]


def _request(question: str, sources: list[Source], *, stream: bool) -> tuple[str, dict, dict]:
    url = f"{settings.ANDON_LLM_BASE_URL.rstrip('/')}/chat/completions"
    headers = {"Content-Type": "application/json"}
    if settings.ANDON_LLM_API_KEY:
        headers["Authorization"] = f"Bearer {settings.ANDON_LLM_API_KEY}"
    body = {
        "model": settings.ANDON_LLM_MODEL,
        "messages": build_messages(question, sources),
        "temperature": 0.2,
        "stream": stream,
    }
    return url, headers, body


def complete(question: str, sources: list[Source]) -> str:
    url, headers, body = _request(question, sources, stream=False)
    try:
        response = httpx.post(url, headers=headers, json=body, timeout=settings.ANDON_LLM_TIMEOUT)
        response.raise_for_status()
        text = response.json()["choices"][0]["message"]["content"]
    except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError) as exc:
        raise LLMError(str(exc)) from exc
    if not isinstance(text, str) or not text.strip():
        raise LLMError("empty answer")
    return text.strip()


def complete_stream(question: str, sources: list[Source]) -> Iterator[str]:
    """Yield the answer's text pieces as the endpoint streams them (server-sent events)."""
    url, headers, body = _request(question, sources, stream=True)
    try:
        with httpx.stream(
            "POST", url, headers=headers, json=body, timeout=settings.ANDON_LLM_TIMEOUT
        ) as response:
            response.raise_for_status()
            for line in response.iter_lines():
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    return
                choice = (json.loads(data).get("choices") or [{}])[0]
                piece = (choice.get("delta") or {}).get("content")
                if piece:
                    yield piece
    except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
        raise LLMError(str(exc)) from exc


def answer_prepared(prepared: Prepared) -> Answer:
    if not prepared.sources:
        return Answer(text=unknown_text(), sources=[], mode="unknown")
    if prepared.use_llm:
        try:
            return Answer(
                text=complete(prepared.question, prepared.sources),
                sources=prepared.sources,
                mode="llm",
            )
        except LLMError as exc:
            logger.warning("assistant: chat endpoint failed, answering extractively: %s", exc)
    return Answer(
        text=extractive_text(prepared.sources), sources=prepared.sources, mode="extractive"
    )


def ask(user_or_none, question, *, public_only: bool = False) -> Answer:
    return answer_prepared(prepare(user_or_none, question, public_only=public_only))


def stream_events(prepared: Prepared) -> Iterator[dict]:
    """Events for the page: {"event": "sources", "sources": [...]}, then "delta" events with
    text, then {"event": "done", "mode": ...}. Falls back to the extractive answer when the
    endpoint fails before saying anything."""
    yield {"event": "sources", "sources": [s.public_dict() for s in prepared.sources]}
    if not prepared.sources:
        yield {"event": "delta", "text": unknown_text()}
        yield {"event": "done", "mode": "unknown"}
        return
    if prepared.use_llm:
        said = False
        try:
            for piece in complete_stream(prepared.question, prepared.sources):
                said = True
                yield {"event": "delta", "text": piece}
            if said:
                yield {"event": "done", "mode": "llm"}
                return
        except LLMError as exc:
            logger.warning("assistant: streaming failed: %s", exc)
            if said:
                yield {"event": "done", "mode": "llm", "error": True}
                return
    yield {"event": "delta", "text": extractive_text(prepared.sources)}
    yield {"event": "done", "mode": "extractive"}


def source_dicts(sources: list[Source]) -> list[dict]:
    return [asdict(s) for s in sources]
