"""The day board as the page and its live JSON both show it: one shaping of the
service's result, so a poll changes exactly what the page drew."""
from flask import url_for

from backend.services.monitoring.board_exceptions import DayBoard, Exception_


def waited_text(minutes: int | None, kind: str) -> str:
    """How late, in words: "52 min late", "1 h 5 min past the end", "starts in 2 h"."""
    if minutes is None:
        return ""
    span = abs(minutes)
    words = f"{span // 60} h {span % 60} min" if span >= 60 else f"{span} min"
    words = words.replace(" 0 min", "")
    if minutes < 0:
        return f"starts in {words}"
    if kind == "no check-out":
        return f"{words} past the planned end"
    if kind in ("concern", "no access", "not verified", "early or out-of-order start"):
        return f"{words} ago"
    return f"{words} late" if kind in ("late", "missed", "carer not arrived") else \
        f"{words} since the planned start"


def _href(item: Exception_) -> str:
    if item.target == "alert":
        return url_for("alert_inbox.detail", alert_id=item.alert.id)
    if item.target == "reassign":
        return url_for("manager.reassign", visit_id=item.visit.id)
    return url_for("manager.visit", visit_id=item.visit.id)


def exception_line(item: Exception_, zone, day=None) -> dict:
    """One exception as a line of the "needs action" table (an earlier day's visit shows
    its day as well as its time)."""
    visit = item.visit
    earlier = day is not None and visit.local_date != day
    return {"key": f"{visit.id}:{item.kind}", "kind": item.kind,
            "critical": visit.priority.value == "critical",
            "start": visit.planned_start.astimezone(zone).strftime(
                "%a %-d %b %H:%M" if earlier else "%H:%M"),
            "person": visit.package.service_user.name,
            "carers": ", ".join(item.carers) or "nobody assigned",
            "waited": waited_text(item.waited_min, item.kind),
            "action": item.action, "href": _href(item),
            # An open alert on a visit to reassign or ring about is acknowledged on its page.
            "alert_href": url_for("alert_inbox.detail", alert_id=item.alert.id)
            if item.alert is not None and item.target != "alert" else None,
            "visit_href": url_for("manager.visit", visit_id=visit.id)}


def live_view(board: DayBoard, zone) -> dict:
    """What a poll of the board returns: the time, counts, exceptions and chip labels."""
    return {"updated": board.now.astimezone(zone).strftime("%H:%M:%S"),
            "counts": board.counts,
            "exceptions": [exception_line(e, zone, board.day) for e in board.exceptions],
            "chips": {f"{chip.visit.id}:{row.worker_id}": chip.label
                      for row in board.rows for chip in row.visits}}
