// What the carer should see about a visit: the server's word, plus the events
// still on this phone (so a check-in made offline shows as checked in).

const STATUS_TEXT = {
  scheduled: "Not started", in_progress: "In progress", completed: "Completed",
  missed: "Missed", no_access: "No access", cancelled: "Cancelled",
};

/** The visit as this phone knows it. */
export function progress(visit, queue) {
  const mine = queue.filter((e) => e.visit_id === visit.id && e.status !== "rejected");
  const has = (kind) => mine.some((e) => e.kind === kind);
  const checkedIn = visit.checked_in || has("check_in");
  const checkedOut = visit.checked_out || has("check_out");
  const noAccess = visit.no_access_reported || has("no_access");
  const pending = mine.filter((e) => e.status === "waiting" || e.status === "sending");
  let label = STATUS_TEXT[visit.status] || visit.status;
  if (noAccess && !checkedIn) label = "No access reported";
  else if (checkedOut) label = "Checked out";
  else if (checkedIn) label = "Checked in";
  const finished = checkedOut || (noAccess && !checkedIn)
    || ["completed", "no_access", "cancelled"].includes(visit.status);
  return { checkedIn, checkedOut, noAccess, pending, label, finished };
}

/** Visits still to do (next on top), then the finished ones, each in time order. */
export function ordered(visits, queue) {
  const sorted = [...visits].sort((a, b) => a.planned_start.localeCompare(b.planned_start));
  const todo = sorted.filter((v) => !progress(v, queue).finished);
  const done = sorted.filter((v) => progress(v, queue).finished);
  return { todo, done };
}

/** A sentence about where the phone was, from the server's answer or a local estimate. */
export function locationSentence(item, visit, estimateM) {
  if (item.distance_m !== undefined && item.distance_m !== null) {
    const metres = `${Math.round(item.distance_m)} m from the home`;
    if (item.verified === true) return `${metres}: location verified.`;
    if (item.verified === false) {
      return `${metres}: location not verified. Accepted and flagged for your manager.`;
    }
    return `${metres}. This home has no geofence, so the location is recorded only.`;
  }
  if (estimateM !== null && estimateM !== undefined) {
    return `About ${Math.round(estimateM)} m from the home (the phone's estimate).`;
  }
  if (!item.body || item.body.lat === null || item.body.lat === undefined) {
    return "No location was recorded.";
  }
  return "";
}

/** What happened to a queued event, in words. */
export function resultText(item) {
  switch (item.status) {
    case "waiting": return item.retry_at
      ? "Waiting to send: the service is busy, trying again in a few seconds" : "Waiting to send";
    case "sending": return "Sending…";
    case "accepted": return "Accepted";
    case "duplicate": return "Accepted (already received)";
    case "rejected": return `Rejected: ${item.message || item.code}`;
    default: return item.status;
  }
}

export const KIND_TEXT = { check_in: "Check in", check_out: "Check out", no_access: "No access" };
