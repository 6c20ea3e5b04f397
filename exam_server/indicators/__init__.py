"""Indicators: the organisation tree, the indicator engine kept by domain signals, the dashboard
and its live channel, the API and exports, and the feed to operations centers (docs/indicators.md)."""


def init_app(app, socketio) -> None:
    """Connect the signal receivers (engine, feed) and the /dashboard namespace; start the folder
    of queued cell deltas in a server process (one with background work, as the live sweeper)."""
    from exam_server.core import drains
    from exam_server.indicators import engine, feed, fold, sockets  # noqa: F401 - receivers connect on import

    sockets.init_app(app, socketio)
    drains.start(app, socketio, fold.FOLDER)
