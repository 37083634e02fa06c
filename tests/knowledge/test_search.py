"""Search over articles and resolved tickets, on whichever database the run uses (SQLite FTS5 or
PostgreSQL full-text): segmentation, ranking, highlighting, visibility and index upkeep."""

import pytest
from django.db import connection

from andon.knowledge import search, services
from andon.knowledge.models import ArticleSearch, TicketSearch
from andon.knowledge.text import query_terms, tokenize
from andon.tickets import services as ticket_services
from tests import factories
from tests.knowledge.conftest import publish, resolved_ticket

pytestmark = pytest.mark.django_db


def titles(hits):
    return [h.title for h in hits]


def test_segmentation_splits_chinese_into_words_and_drops_question_words():
    assert {"打印机", "卡纸"} <= set(tokenize("打印机卡纸了"))
    terms = query_terms("VPN连不上怎么办？")
    assert terms == ["vpn", "连不上"]
    assert "企业微信" in tokenize("企业微信登录不了")
    assert query_terms("怎么办？") == []


def test_index_uses_the_database_engine(editor):
    article = publish(editor, "打印机卡纸", "打开前盖取出纸张")
    row = ArticleSearch.objects.get(article=article)
    assert "打印机" in row.title_terms.split()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT rowid FROM knowledge_article_search_fts "
                "WHERE knowledge_article_search_fts MATCH %s",
                ['"卡纸"'],
            )
        else:
            cursor.execute(
                "SELECT article_id FROM knowledge_article_search WHERE tsv @@ %s::tsquery",
                ["'卡纸'"],
            )
        assert [r[0] for r in cursor.fetchall()] == [article.pk]


def test_ranking_prefers_title_matches_and_more_terms(editor, reader):
    publish(editor, "邮箱容量满了怎么清理", "删除大附件，清空已删除邮件。")
    publish(editor, "VPN 连不上怎么办", "检查网络，重新安装 VPN 客户端。")
    publish(editor, "远程办公须知", "在家办公时使用 VPN 访问内网系统。")
    publish(editor, "VPN 证书过期", "运行证书更新工具。提示证书过期时也可能是 VPN 连不上的原因。")
    hits = search.search_articles(reader, "VPN 连不上")
    assert titles(hits)[0] == "VPN 连不上怎么办"
    assert set(titles(hits)) == {"VPN 连不上怎么办", "VPN 证书过期", "远程办公须知"}
    assert hits[0].coverage == 1.0 and hits[0].matched_terms == ["vpn", "连不上"]
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_highlighting_escapes_text_and_marks_matches(editor, reader):
    publish(editor, "打印机 <b>卡纸</b>", "打印机提示<script>alert(1)</script>卡纸时，打开前盖。")
    [hit] = search.search_articles(reader, "打印机卡纸")
    assert "<script" not in hit.snippet and "&lt;script" in hit.snippet
    assert "<mark>打印机</mark>" in hit.snippet and "<mark>卡纸</mark>" in hit.snippet
    assert hit.title_html == "<mark>打印机</mark> &lt;b&gt;<mark>卡纸</mark>&lt;/b&gt;"


def test_snippet_is_cut_around_the_matches(editor, reader):
    body = "无关的内容。" * 60 + "这里讲会议室投屏没有声音的处理办法。" + "其他内容。" * 60
    publish(editor, "会议室设备", body)
    [hit] = search.search_articles(reader, "投屏没有声音", snippet_width=60)
    assert "<mark>投屏</mark>" in hit.snippet
    assert hit.snippet.startswith("…") and hit.snippet.endswith("…")
    assert len(hit.snippet) < 200


def test_visibility_public_only_drafts_and_anonymous(editor, reader):
    publish(editor, "VPN 公开指南", "VPN 客户端下载", visibility="public")
    publish(editor, "VPN 内部排查", "VPN 网关日志", visibility="internal")
    publish(editor, "VPN 草稿", "VPN 未完成", visibility="public", status="draft")
    assert set(titles(search.search_articles(reader, "vpn"))) == {"VPN 公开指南", "VPN 内部排查"}
    assert titles(search.search_articles(reader, "vpn", public_only=True)) == ["VPN 公开指南"]
    assert titles(search.search_articles(None, "vpn")) == ["VPN 公开指南"]
    nobody = factories.UserFactory()  # signed in without knowledge.view
    assert titles(search.search_articles(nobody, "vpn")) == ["VPN 公开指南"]
    # Even an editor never finds drafts through search.
    assert "VPN 草稿" not in titles(search.search_articles(editor, "vpn"))


def test_index_follows_edits_publishing_and_deletes(editor, reader):
    article = publish(editor, "打印机卡纸", "取出纸张", status="draft")
    assert search.search_articles(reader, "打印机") == []
    services.publish_article(article_id=article.pk, actor=editor)
    assert titles(search.search_articles(reader, "打印机")) == ["打印机卡纸"]
    services.update_article(article_id=article.pk, actor=editor, title="显示器没有信号")
    assert search.search_articles(reader, "打印机") == []
    assert titles(search.search_articles(reader, "显示器")) == ["显示器没有信号"]
    services.update_article(article_id=article.pk, actor=editor, tags=["外设"])
    assert titles(search.search_articles(reader, "外设")) == ["显示器没有信号"]
    services.delete_article(article_id=article.pk, actor=editor)
    assert search.search_articles(reader, "显示器") == []
    assert not ArticleSearch.objects.exists()


def test_empty_or_meaningless_queries_find_nothing(editor, reader):
    publish(editor, "打印机卡纸", "取出纸张")
    assert search.search_articles(reader, "") == []
    assert search.search_articles(reader, "怎么办？？") == []
    assert search.search_articles(reader, '"  OR * NEAR(') == []


def test_resolved_tickets_are_indexed_and_follow_reopen(entry, handlers, requester):
    """The index follows each change in the after-commit fan-out. The test's transaction never
    commits, and the first change's on-commit hook already stands for every later event of the
    ticket (one fan-out per ticket per transaction), so capturing on-commit callbacks around a
    later change finds none: `factories.fan_out_pending` does what the worker's task does."""
    ticket = factories.make_ticket(
        actor=requester, entry=entry, title="VPN 连不上", description="提示证书过期"
    )
    handler = ticket.assignee
    factories.fan_out_pending()
    assert not TicketSearch.objects.exists()  # open tickets are not indexed
    assert search.search_tickets(handler, "证书过期") == []
    ticket_services.resolve_ticket(ticket_id=ticket.pk, actor=handler, resolution="更新证书")
    assert not TicketSearch.objects.exists()  # not in the change's transaction: after commit
    factories.fan_out_pending()
    [hit] = search.search_tickets(handler, "证书过期")
    assert hit.id == ticket.pk and "<mark>证书</mark>" in hit.resolution
    assert hit.matched_terms == ["证书", "过期"]
    ticket_services.reopen_ticket(ticket_id=ticket.pk, actor=requester, reason="还是不行")
    factories.fan_out_pending()
    assert search.search_tickets(handler, "证书过期") == []
    ticket_services.resolve_ticket(ticket_id=ticket.pk, actor=handler, resolution="重装客户端")
    ticket_services.confirm_ticket(ticket_id=ticket.pk, actor=requester)
    factories.fan_out_pending()
    assert [h.id for h in search.search_tickets(handler, "重装客户端")] == [ticket.pk]


def test_ticket_search_respects_ticket_visibility(entry, handlers, requester):
    ticket = resolved_ticket(
        requester=requester, entry=entry, title="打印机卡纸", resolution="更换搓纸轮"
    )
    outsider = factories.requester()
    observer = factories.observer()
    assert [h.id for h in search.search_tickets(requester, "打印机")] == [ticket.pk]
    assert [h.id for h in search.search_tickets(observer, "打印机")] == [ticket.pk]
    assert search.search_tickets(outsider, "打印机") == []
    assert search.search_tickets(None, "打印机") == []
    assert search.search_tickets(handlers[0], "打印机", exclude_ticket_id=ticket.pk) == []
