"""Bulk import and export for machine clients: the file is the request body."""
from flask import Response, current_app, jsonify, make_response, request

from backend.services.audit import access_log
from mobile_api.blueprint import Blueprint

from backend.errors import Invalid
from backend.models import Role
from backend.services.bulk_import.run import export, run_import
from mobile_api.auth import BEARER, current_user, token_required

blp = Blueprint("imports", __name__, description="Bulk import and export (CSV or XLSX)")
STAFF = (Role.PROVIDER_MANAGER, Role.COMMISSIONER)
TYPES = {"csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@blp.post("/imports/<kind>")
@blp.doc(security=[BEARER], parameters=[
    {"in": "query", "name": "dry_run", "schema": {"type": "boolean"}},
    {"in": "query", "name": "filename", "schema": {"type": "string"}}])
@token_required(*STAFF)
def import_file(kind: str):
    """Import a template file sent as the body (?dry_run=true: check only). 200 with the
    counts; 422 with every problem (row, column, message) and nothing stored."""
    request.max_content_length = current_app.config["IMPORT_MAX_BYTES"]  # 413 above it
    dry_run = request.args.get("dry_run", "false").lower() in ("1", "true", "yes")
    filename = request.args.get("filename") or (
        "upload.xlsx" if "spreadsheetml" in (request.content_type or "") else "upload.csv")
    report = run_import(current_user(), kind, request.get_data(cache=False), filename, dry_run)
    body = report.as_dict()
    if report.problems:
        fields: dict = {}
        for p in report.problems:
            fields.setdefault(f"row {p.row}", []).append(f"{p.column}: {p.message}")
        return make_response(jsonify(error={
            "code": "invalid", "message": f"{len(report.problems)} problem(s) in the file; "
            "nothing was stored.", "fields": fields}, report=body), 422)
    return jsonify(body)


@blp.get("/imports/<kind>/export.<fmt>")
@blp.doc(security=[BEARER])
@token_required(*STAFF)
def export_file(kind: str, fmt: str):
    """Everything of a kind the caller may see, in the import template."""
    if fmt not in TYPES:
        raise Invalid("Files are csv or xlsx.", field="format")
    access_log.record_download(current_user(), f"{kind}.{fmt}")  # people's records leave
    return Response(export(current_user(), kind, fmt), mimetype=TYPES[fmt])
