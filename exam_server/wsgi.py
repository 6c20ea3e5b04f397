"""WSGI entry point for gunicorn: `gunicorn exam_server.wsgi:app`."""
import gc

from exam_server.app import create_app

app = create_app()
if app.config["GC_GEN0_THRESHOLD"]:
    # Why (core/config.py GC_GEN0_THRESHOLD): fewer young collections, and the app's own objects
    # (modules, the item bank's forms, SQLAlchemy's mappers) never walked again by a full one
    # (each walked all of it, ~80 ms with the process held; a room's start of 2,000 students made
    # three to five: bench/bench_start_room.py --gc-freeze).
    gc.freeze()
    gc.set_threshold(app.config["GC_GEN0_THRESHOLD"], *gc.get_threshold()[1:])
