"""Permission-matrix rows for the knowledge base, smart support and the assistant."""

from andon.knowledge import services
from andon.tickets.models import Status
from tests.api.matrix import Row, signed_in, ticket_access

ARTICLE = "/api/v1/articles/{article}/"
TICKET = "/api/v1/tickets/{ticket}/"
readers = {"nobody": 403}  # every built-in role holds knowledge.view; no role, no reading


def refs(world, _ticket) -> dict:
    article = services.create_article(
        actor=world.admin, title="VPN 连不上", body="重新安装客户端", status="published"
    )
    return {"article": article.pk}


ROWS = [
    Row("articles: list", "get", "/api/v1/articles/", signed_in(200, **readers)),
    Row(
        "articles: create",
        "post",
        "/api/v1/articles/",
        signed_in(403, admin=201),
        body={"title": "新文章", "body": "正文"},
    ),
    Row(
        "articles: search",
        "get",
        "/api/v1/articles/search/?q=VPN",
        signed_in(200, **readers),
    ),
    Row(
        "articles: search without q",
        "get",
        "/api/v1/articles/search/",
        signed_in(400, **readers),
    ),
    Row("articles: detail", "get", ARTICLE, signed_in(200, **readers)),
    Row("articles: edit", "patch", ARTICLE, signed_in(403, admin=200), body={"title": "改"}),
    Row("articles: delete", "delete", ARTICLE, signed_in(403, admin=204)),
    Row("articles: publish", "post", ARTICLE + "publish/", signed_in(403, admin=200)),
    Row(
        "articles: vote",
        "post",
        ARTICLE + "vote/",
        signed_in(200, **readers),
        body={"helpful": True},
    ),
    Row("articles: revisions", "get", ARTICLE + "revisions/", signed_in(200, **readers)),
    Row(
        "tickets: suggestions",
        "get",
        TICKET + "suggestions/",
        ticket_access(requester=200, handler=200, observer=200, admin=200),
    ),
    Row(
        "tickets: to article (resolved)",
        "post",
        TICKET + "to-article/",
        signed_in(403, handler=201, admin=201),
        state=Status.TO_CONFIRM,
    ),
    Row(
        "tickets: to article (no resolution yet)",
        "post",
        TICKET + "to-article/",
        signed_in(403, handler=409, admin=409),
        state=Status.PROCESSING,
    ),
    Row("catalog: suggest without text", "get", "/api/v1/catalog/suggest/", signed_in(400)),
    Row("catalog: suggest", "get", "/api/v1/catalog/suggest/?text=打印机", signed_in(200)),
    Row(
        "assistant: ask",
        "post",
        "/api/v1/assistant/ask/",
        signed_in(200),
        body={"question": "VPN 连不上怎么办"},
    ),
]
