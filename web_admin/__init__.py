"""Server-rendered pages for managers, commissioners and panels."""
from flask import Flask


def register(app: Flask) -> None:
    """Mount every page blueprint."""
    from web_admin import (
        account_pages, alert_pages, app_shell, commissioner_pages, feedback_pages,
        feedback_review_pages, framework_pages, manager_pages, session_pages,
    )

    for module in (account_pages, session_pages, manager_pages, commissioner_pages, framework_pages,
                   alert_pages, feedback_pages, feedback_review_pages, app_shell):
        app.register_blueprint(module.bp)
    app.context_processor(session_pages.inject_user)
