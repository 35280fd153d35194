"""Server-rendered pages for managers, commissioners and panels."""
from flask import Flask


def register(app: Flask) -> None:
    """Mount every page blueprint."""
    from web_admin import (
        access_pages, account_pages, alert_pages, app_shell, carer_pages, commissioner_pages,
        contract_pages, delivery_pages, feedback_pages, feedback_review_pages, framework_pages,
        import_pages, manager_pages, national_pages, organisation_pages, outcome_pages,
        package_pages, people_pages, request_text, session_pages, user_pages,
    )

    for module in (organisation_pages, user_pages, contract_pages, people_pages, package_pages,
                   carer_pages, import_pages, account_pages, session_pages, manager_pages,
                   commissioner_pages, framework_pages, alert_pages, feedback_pages,
                   feedback_review_pages, national_pages, delivery_pages, app_shell,
                   access_pages, outcome_pages):
        app.register_blueprint(module.bp)
    app.context_processor(session_pages.inject_user)
    app.before_request(request_text.refuse_unstorable_text)
