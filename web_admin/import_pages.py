"""The import page: templates and exports to download, a file to preview (a dry run) and
then import; the answer shows the counts and every problem as row, column and message."""
from flask import Blueprint, Response, current_app, request

from backend.errors import DomainError
from backend.extensions import csrf
from backend.models import Role
from backend.services.audit import access_log
from backend.services.bulk_import.run import KINDS, export, run_import, template
from web_admin.admin_forms import ImportForm
from web_admin.admin_support import page, refuse
from web_admin.auth import current_user, login_required

bp = Blueprint("admin_import", __name__, url_prefix="/admin")
STAFF = (Role.COMMISSIONER, Role.PROVIDER_MANAGER)
TYPES = {"csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _download(data: bytes, name: str, fmt: str) -> Response:
    return Response(data, mimetype=TYPES[fmt], headers={
        "Content-Disposition": f'attachment; filename="{name}.{fmt}"'})


def _render(form=None, report=None, status: int = 200):
    downloads = [[kind.replace("_", " "),
                  {"href": f"/admin/import/{kind}/template.csv", "text": "template (CSV)"},
                  {"href": f"/admin/import/{kind}/template.xlsx", "text": "template (Excel)"},
                  {"href": f"/admin/import/{kind}/export.csv", "text": "export (CSV)"},
                  {"href": f"/admin/import/{kind}/export.xlsx", "text": "export (Excel)"}]
                 for kind in KINDS]
    sections = []
    if report is not None:
        outcome = ("Stored." if report.stored else "Preview: nothing was stored."
                   if report.dry_run and not report.problems
                   else "Nothing was stored: correct these rows and try again.")
        would = "" if report.stored else "would be "
        sections.append({"heading": "Result", "lines": [
            ("Rows", report.rows), (f"Created ({would}new)", report.created),
            (f"Updated ({would}changed)", report.updated), ("Unchanged", report.unchanged),
            ("Problems", len(report.problems)), ("Outcome", outcome)]})
        if report.problems:
            sections.append({"heading": "Problems", "headers": ["Row", "Column", "Problem"],
                             "rows": [[p.row, p.column, p.message] for p in report.problems]})
    sections += [
        {"heading": "Import a file", "form": form or ImportForm(formdata=None),
         "action": "/admin/import", "submit": "Check and import", "id": "import-form",
         "multipart": True},
        {"heading": "Templates and exports", "headers": ["", "", "", "", ""],
         "rows": downloads},
    ]
    return page("Import", sections, status,
                intro="Each template's header row says what every column means. Rows are "
                "matched on your own references, so importing the same file again changes "
                "nothing and an updated file changes only what changed. Bring in care "
                "workers and service users before their packages.")


@bp.get("/import")
@login_required(*STAFF)
def index():
    """The import page."""
    return _render()


@bp.post("/import")
@csrf.exempt
@login_required(*STAFF)
def upload():
    """Preview (a dry run) or import a file; all or nothing."""
    request.max_content_length = current_app.config["IMPORT_MAX_BYTES"]  # 413 above it
    if current_app.config.get("WTF_CSRF_ENABLED", True):
        csrf.protect()  # what CSRFProtect does for every other form, after the limit is set
    form = ImportForm()
    if not form.validate_on_submit():
        return _render(form, status=422)
    try:
        report = run_import(current_user(), form.kind.data, form.file.data.read(),
                            form.file.data.filename or "upload.csv", form.dry_run.data)
    except DomainError as exc:
        refuse(form, exc)
        return _render(form, status=exc.status)
    return _render(form, report, 422 if report.problems else 200)


@bp.get("/import/<kind>/template.<fmt>")
@login_required(*STAFF)
def template_file(kind: str, fmt: str):
    """An empty template whose header row explains each column."""
    if fmt not in TYPES:
        return _render(status=404)
    return _download(template(kind, fmt), f"{kind}-template", fmt)


@bp.get("/import/<kind>/export.<fmt>")
@login_required(*STAFF)
def export_file(kind: str, fmt: str):
    """Everything of a kind the user may see, in the template (so nobody is locked in)."""
    if fmt not in TYPES:
        return _render(status=404)
    access_log.record_download(current_user(), f"{kind}.{fmt}")  # people's records leave
    return _download(export(current_user(), kind, fmt), kind, fmt)
