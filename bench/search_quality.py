"""Search quality over the demo knowledge base: for each Chinese question in
bench/search_questions.json, is the article a person would want the first hit (hit@1) or among
the first five (hit@5)?

    DJANGO_SETTINGS_MODULE=andon.settings .venv/bin/python bench/search_quality.py [--verbose]

Runs against a throw-away test database (SQLite by default, PostgreSQL with DATABASE_URL).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "andon.settings")


def evaluate(user, questions, *, verbose: bool = False) -> dict:
    from andon.knowledge.search import search_articles

    hit1 = hit5 = 0
    misses = []
    for item in questions:
        titles = [h.title for h in search_articles(user, item["q"], limit=5)]
        if titles[:1] == [item["want"]]:
            hit1 += 1
        if item["want"] in titles:
            hit5 += 1
        else:
            misses.append((item["q"], item["want"], titles[:3]))
    if verbose:
        for q, want, got in misses:
            print(f"MISS {q!r}: want {want!r}, got {got}")
    n = len(questions)
    return {"questions": n, "hit@1": hit1 / n, "hit@5": hit5 / n}


def main() -> None:
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    from andon.knowledge.demo_articles import load_demo_articles
    from tests import factories

    questions = json.loads((HERE / "search_questions.json").read_text(encoding="utf-8"))
    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        author = factories.admin(username="kb-author")
        load_demo_articles(author)
        result = evaluate(author, questions, verbose="--verbose" in sys.argv)
        print(
            f"engine={connection.vendor} questions={result['questions']} "
            f"hit@1={result['hit@1']:.3f} hit@5={result['hit@5']:.3f}"
        )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()


if __name__ == "__main__":
    main()
