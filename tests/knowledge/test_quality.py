"""The search-quality question set over the demo articles must stay good (bench/search_quality.py
prints the exact numbers)."""

import json
from pathlib import Path

import pytest

from andon.knowledge.demo_articles import ARTICLES, load_demo_articles
from bench.search_quality import evaluate

QUESTIONS = json.loads(
    (Path(__file__).resolve().parents[2] / "bench" / "search_questions.json").read_text("utf-8")
)


def test_question_set_is_large_and_points_at_real_articles():
    titles = {a[1] for a in ARTICLES}
    assert len(QUESTIONS) >= 40
    assert all(q["want"] in titles for q in QUESTIONS)


@pytest.mark.django_db
def test_hit_rates(editor):
    load_demo_articles(editor)
    result = evaluate(editor, QUESTIONS)
    assert result["hit@5"] >= 0.95, result
    assert result["hit@1"] >= 0.8, result
