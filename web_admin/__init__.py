"""Server-rendered pages for managers, commissioners and panels."""
from flask import Flask


def register(app: Flask) -> None:
    """Mount every page blueprint."""
    from web_admin import app_shell, feedback_pages, feedback_review_pages, session_pages

    app.register_blueprint(session_pages.bp)
    app.register_blueprint(feedback_pages.bp)
    app.register_blueprint(feedback_review_pages.bp)
    app.register_blueprint(app_shell.bp)
    app.context_processor(session_pages.inject_user)
