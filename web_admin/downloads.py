"""CSV downloads from the pages: streamed, and logged (who downloaded which export)."""
from flask import Response, stream_with_context

from backend.services.audit import access_log
from web_admin.auth import current_user


def csv_download(lines, filename: str, **asked) -> Response:
    """Stream `lines` as `filename`, recording the download and what was asked for."""
    access_log.record_download(current_user(), filename, **asked)
    return Response(stream_with_context(lines), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})
