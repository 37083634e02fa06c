"""Chinese text segmentation for the search index and for queries.

jieba's dictionary is loaded once per process (lazily, on first use) and never touches the network.
Documents and queries go through the same normaliser, so a term that matches in the index is
exactly a term the query produced: lower-case runs of letters, digits and CJK characters.
"""

from __future__ import annotations

import logging
import re
import threading

import jieba

# Terms of the desk's own domain that jieba's general dictionary would split or miss.
DOMAIN_WORDS = (
    "企业微信",
    "投屏",
    "报销系统",
    "连不上",
    "打不开",
    "无线网",
    "蓝屏",
    "双因素",
    "验证码",
    "工卡",
    "门禁",
    "网盘",
    "共享盘",
    "扫描仪",
    "显示器",
    "差旅",
    "发票",
    "会议室",
)

# Words that carry no meaning for retrieval (question words, particles, pronouns).
STOPWORDS = frozenset(
    [
        "的",
        "了",
        "吗",
        "呢",
        "吧",
        "啊",
        "呀",
        "么",
        "是",
        "在",
        "和",
        "与",
        "或",
        "及",
        "就",
        "也",
        "都",
        "还",
        "又",
        "把",
        "被",
        "让",
        "给",
        "对",
        "从",
        "到",
        "向",
        "为",
        "以",
        "之",
        "其",
        "这",
        "那",
        "这个",
        "那个",
        "这些",
        "那些",
        "一个",
        "一下",
        "一些",
        "有",
        "没",
        "我",
        "你",
        "他",
        "她",
        "它",
        "我们",
        "你们",
        "他们",
        "自己",
        "怎么",
        "怎么办",
        "怎样",
        "如何",
        "什么",
        "为什么",
        "为何",
        "哪里",
        "哪儿",
        "哪个",
        "哪些",
        "多少",
        "能否",
        "能不能",
        "可以",
        "可不可以",
        "是否",
        "是不是",
        "请问",
        "请",
        "帮",
        "帮忙",
        "一直",
        "总是",
        "老是",
        "应该",
        "需要",
        "要",
        "想",
        "会",
        "能",
        "该",
        "时候",
        "时",
        "后",
        "前",
        "里",
        "上",
        "下",
        "中",
        "现在",
        "今天",
        "已经",
        "已",
        "得",
        "地",
        "着",
        "过",
        "个",
        "下",
        "啦",
        "嘛",
        "哦",
        "嗯",
        "好",
        "但是",
        "但",
        "而且",
        "如果",
        "因为",
        "所以",
        "然后",
        "问题",
        "情况",
        "办",
        "做",
        "用",
        "a",
        "an",
        "the",
        "to",
        "of",
        "and",
        "or",
        "is",
        "are",
        "be",
        "in",
        "on",
        "for",
        "how",
        "what",
        "why",
        "do",
        "does",
        "can",
        "i",
        "my",
        "it",
    ]
)

_TERM = re.compile(r"[0-9a-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_lock = threading.Lock()
_ready = False


def _ensure_loaded() -> None:
    global _ready
    if _ready:
        return
    with _lock:
        if _ready:
            return
        jieba.setLogLevel(logging.WARNING)
        jieba.initialize()
        for word in DOMAIN_WORDS:
            jieba.add_word(word, freq=20000)
        _ready = True


def _normalised(pieces) -> list[str]:
    terms = []
    for piece in pieces:
        terms.extend(_TERM.findall(piece.lower()))
    return terms


def tokenize(text: str) -> list[str]:
    """Every term of a document in reading order (search-engine segmentation: long words and
    their shorter parts), for the index."""
    if not text:
        return []
    _ensure_loaded()
    return _normalised(jieba.cut_for_search(text))


def index_text(text: str) -> str:
    """The space-joined terms stored in the full-text index."""
    return " ".join(tokenize(text))


def query_terms(query: str, *, max_terms: int = 24) -> list[str]:
    """The distinct meaningful terms of a query, in order of appearance."""
    seen: dict[str, None] = {}
    for term in tokenize((query or "")[:500]):
        if term in STOPWORDS or term in seen:
            continue
        # A lone CJK character is too ambiguous to search on unless it is all we have.
        seen[term] = None
    terms = list(seen)
    long_terms = [t for t in terms if len(t) > 1 or t.isascii()]
    return (long_terms or terms)[:max_terms]
