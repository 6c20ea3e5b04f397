"""Filtered text search over a bank of 100,000 items on PostgreSQL.

    ./run bench bench_search [--items 100000] [--url postgresql+psycopg://postgres@127.0.0.1:5432/test]

Creates a scratch database, migrates it, bulk-loads N synthetic Vietnamese items (latest
versions, realistic metadata spread), then times the searches a teacher makes through the same
code path the API uses (exam_server.bank.search). Baseline in the same run: the same queries with
the trigram index dropped, so a noisy machine still shows what the index buys.
Target (issue 3): a filtered text search answers in under 200 ms.
"""
from __future__ import annotations

import argparse
import random
import statistics
import time
import uuid

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from exam_server.app import create_app
from exam_server.bank.search import SearchFilters, search
from exam_server.core.migrate import upgrade
from item_bank.text import fold

TOPICS = ["Đạo hàm", "Tích phân", "Xác suất", "Hàm số mũ", "Logarit", "Số phức", "Hình học không gian",
          "Dao động điều hòa", "Sóng cơ", "Điện xoay chiều", "Từ trường", "Thì hiện tại hoàn thành",
          "Câu bị động", "Mệnh đề quan hệ"]
WORDS = ["hàm", "số", "đồ", "thị", "cực", "trị", "giá", "trị", "lớn", "nhất", "nhỏ", "nhất", "khoảng", "đồng", "biến", "nghịch", "biến", "phương", "trình", "nghiệm", "tiếp", "tuyến", "diện", "tích", "thể", "tích", "xác", "suất", "biến", "cố", "con", "lắc", "lò", "xo", "tần", "số", "biên", "độ", "chu", "kì", "điện", "áp", "cường", "độ", "dòng", "điện", "công", "suất", "sentence", "passive", "relative", "clause", "tense"]
SUBJECTS = ["math", "physics", "english"]
LEVELS = ["biet", "hieu", "van_dung", "van_dung_cao"]
TYPES = ["single_choice", "true_false_cluster", "numeric", "text_entry"]
QUERIES = [
    ("text 'dao ham' + subject + grade", {"q": "dao ham", "subject": "math", "grade": 12}),
    ("text 'cực trị' (diacritics)", {"q": "cực trị"}),
    ("text 'con lac lo xo' + level", {"q": "con lac lo xo", "cognitive_level": "van_dung"}),
    ("filters only: subject+grade+level+type", {"subject": "physics", "grade": 11, "cognitive_level": "hieu",
                                                "item_type": "single_choice"}),
    ("rare text 'tiep tuyen do thi' + status", {"q": "tiep tuyen do thi", "status": "approved"}),
]


def load(engine, n: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO users (username, full_name, password_hash, role, is_active, created_at) "
                          "VALUES ('bench', 'Bench', 'x', 'teacher', true, now())"))
        user_id = conn.execute(text("SELECT id FROM users WHERE username='bench'")).scalar_one()
        batch = 5000
        for start in range(0, n, batch):
            items, versions = [], []
            for i in range(start, min(n, start + batch)):
                topic = rng.choice(TOPICS)
                stem = " ".join(rng.choice(WORDS) for _ in range(rng.randint(12, 30)))
                title = f"{topic} {i}"
                items.append({"id": i + 1, "identifier": f"bench-{i}", "uid": user_id})
                versions.append({
                    "id": i + 1, "item_id": i + 1, "status": rng.choice(["approved"] * 3 + ["draft", "in_review"]),
                    "title": title, "item_type": rng.choice(TYPES), "subject": rng.choice(SUBJECTS),
                    "grade": rng.randint(10, 12), "topic": topic, "level": rng.choice(LEVELS),
                    "difficulty": round(rng.random(), 2), "stem": f"<p>{stem}</p>",
                    "search_text": fold(f"bench-{i} {title} {stem} {topic}"), "uid": user_id})
            conn.execute(text("INSERT INTO items (id, identifier, created_by_id, created_at) "
                              "VALUES (:id, :identifier, :uid, now())"), items)
            conn.execute(text(
                "INSERT INTO item_versions (id, item_id, number, status, title, item_type, subject, grade, topic, "
                "learning_outcome, cognitive_level, difficulty, tags, author, source, language, stem, body, "
                "answer_key, search_text, tags_text, learning_outcome_folded, author_folded, source_folded, "
                "created_by_id, created_at) VALUES (:id, :item_id, 1, "
                ":status, :title, :item_type, :subject, :grade, :topic, '', :level, :difficulty, '[]', 'Bench', "
                "'', 'vi', :stem, '{}', '{}', :search_text, '||', '', 'bench', '', :uid, now())"), versions)
            conn.execute(text("UPDATE items SET latest_version_id = id WHERE id > :lo AND id <= :hi"),
                         {"lo": start, "hi": start + batch})
        for sequence in ("items_id_seq", "item_versions_id_seq"):
            conn.execute(text(f"SELECT setval('{sequence}', :n)"), {"n": n})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


def time_queries(app, repeats: int) -> dict[str, tuple[float, float, int]]:
    figures = {}
    with app.app_context():
        for label, args in QUERIES:
            filters = SearchFilters(**args)
            search(filters, 1, 20)  # warm the cache: we measure a steady server, not a cold disk
            samples = []
            for _ in range(repeats):
                started = time.perf_counter()
                _rows, total = search(filters, 1, 20)
                samples.append((time.perf_counter() - started) * 1000)
            figures[label] = (statistics.median(samples), max(samples), total)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()

    admin = create_engine(args.url, isolation_level="AUTOCOMMIT")
    name = f"exam_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(args.url).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        engine = create_engine(url)
        started = time.perf_counter()
        load(engine, args.items)
        print(f"loaded {args.items:,} items in {time.perf_counter() - started:.1f} s into {name}")
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "INSTANCE_PATH": "/tmp/exam-bench"})
        with_index = time_queries(app, args.repeats)
        with engine.begin() as conn:
            conn.execute(text("DROP INDEX ix_item_versions_search_trgm"))
        without_index = time_queries(app, max(3, args.repeats // 5))
        print(f"\n{'query':45} {'median ms':>10} {'max ms':>8} {'matches':>8} {'no-index median ms':>19}")
        for label, (median, worst, total) in with_index.items():
            print(f"{label:45} {median:10.1f} {worst:8.1f} {total:8d} {without_index[label][0]:19.1f}")
        worst_median = max(m for m, _, _ in with_index.values())
        print(f"\nslowest median with the trigram index: {worst_median:.1f} ms (target < 200 ms): "
              f"{'PASS' if worst_median < 200 else 'FAIL'}")
        app.extensions["db_engine"].dispose()
        engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
