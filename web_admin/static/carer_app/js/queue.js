// Visit events are written to the on-device queue BEFORE anything is sent, so
// nothing is lost if the page closes, the phone goes offline or the token
// expires. Each carries a client event id (crypto.randomUUID) and the device
// time, so sending it twice is harmless: the server answers "duplicate".
import * as api from "./api.js";
import * as store from "./store.js";
import { deviceTime } from "./geo.js";

const PATHS = { check_in: "check-in", check_out: "check-out", no_access: "no-access" };
const KEEP_SENT_MS = 36 * 3600 * 1000;
const TRY_LATER_DEFAULT_S = 5;
let flushing = null;
const listeners = new Set();

/** Call fn whenever the queue changes. */
export function onChange(fn) {
  listeners.add(fn);
}

function changed() {
  listeners.forEach((fn) => fn());
}

async function save(item) {
  await store.putQueued(item);
  changed();
}

/** Events of this worker that still have to reach the server. */
export async function waiting(workerId) {
  return (await store.queued()).filter(
    (item) => item.worker_id === workerId && (item.status === "waiting" || item.status === "sending"));
}

/** Every event kept on this phone (waiting and recently sent), oldest first. */
export async function all() {
  const cutoff = Date.now() - KEEP_SENT_MS;
  const items = await store.queued();
  for (const item of items) {  // tidy up what was answered long ago
    if (item.status !== "waiting" && item.status !== "sending" && Date.parse(item.created_at) < cutoff) {
      await store.removeQueued(item.client_event_id);
    }
  }
  return items.filter((item) => item.status === "waiting" || item.status === "sending"
    || Date.parse(item.created_at) >= cutoff);
}

/**
 * Record an event: queue it, then try to send it.
 * Sent live (single-event endpoint) when nothing else is waiting, so the answer
 * carries the distance and verdict; otherwise everything goes through /sync in order.
 */
export async function record(user, visit, kind, fields) {
  const item = {
    client_event_id: crypto.randomUUID(),
    worker_id: user.id,
    kind,
    visit_id: visit.id,
    visit_label: `${visit.service_user.name}, ${visit.planned_start.slice(11, 16)}`,
    created_at: new Date().toISOString(),
    status: "waiting",
    body: {
      ...fields,
      device_time: deviceTime(),
      device_id: await store.deviceId(),
      client_event_id: null,
    },
  };
  item.body.client_event_id = item.client_event_id;
  await save(item);
  const others = (await waiting(user.id)).filter((e) => e.client_event_id !== item.client_event_id);
  if (others.length === 0 && navigator.onLine) {
    await sendLive(item);
  } else if (navigator.onLine) {
    await flush(user);
  }
  return (await store.queued()).find((e) => e.client_event_id === item.client_event_id);
}

async function sendLive(item) {
  item.status = "sending";
  await save(item);
  try {
    const answer = await api.call(`/visits/${item.visit_id}/${PATHS[item.kind]}`, {
      method: "POST", body: item.body, headers: { "Idempotency-Key": item.client_event_id },
    });
    Object.assign(item, {
      status: answer.result, sent_at: new Date().toISOString(),
      distance_m: answer.event.distance_m, verified: answer.event.verified,
      flags: answer.event.flags, visit_status: answer.visit.status,
    });
  } catch (error) {
    if (error instanceof api.ApiError && error.status !== 429 && error.status < 500) {
      Object.assign(item, { status: "rejected", code: error.code, message: error.message });
    } else {
      item.status = "waiting";  // offline, sign-in needed or server trouble: keep it for /sync
      item.last_error = error.message;
      tryLater(item, error);
      if (error instanceof api.SignInNeeded) {
        await save(item);
        throw error;
      }
    }
  }
  await save(item);
}

/** Send every waiting event of this worker through /sync; one flush at a time. */
export function flush(user) {
  if (!flushing) {
    flushing = sendBatch(user).finally(() => { flushing = null; });
  }
  return flushing;
}

async function sendBatch(user) {
  const items = await waiting(user.id);
  if (!items.length) return [];
  const events = items.map((item) => ({ kind: item.kind, visit_id: item.visit_id, ...item.body }));
  let answer;
  try {
    answer = await api.call("/sync", {
      method: "POST", body: { events, sent_at: deviceTime() },
    });
  } catch (error) {
    for (const item of items) {
      item.last_error = error.message;
      tryLater(item, error);
      await store.putQueued(item);
    }
    changed();
    throw error;
  }
  for (const result of answer.results) {
    const item = items.find((e) => e.client_event_id === result.client_event_id);
    if (!item) continue;
    // Accepted and duplicate results carry the server's location verdict; a malformed
    // event comes back "rejected" on its own with field messages.
    Object.assign(item, {
      status: result.result, sent_at: new Date().toISOString(), event_id: result.event_id,
      visit_status: result.visit_status, distance_m: result.distance_m,
      verified: result.verified, flags: result.flags, code: result.code,
      message: result.fields ? describe(result.fields) : result.message,
    });
    await store.putQueued(item);
  }
  changed();
  return answer.results;
}

/** The server said "try later" (503, 429): note when, so the app sends it again then. */
function tryLater(item, error) {
  if (error instanceof api.ApiError && error.tryLater) {
    const seconds = error.retryAfterS ?? TRY_LATER_DEFAULT_S;
    item.retry_at = new Date(Date.now() + seconds * 1000).toISOString();
  } else {
    delete item.retry_at;
  }
}

function describe(problems) {
  if (typeof problems === "string") return problems;
  if (Array.isArray(problems)) return problems.map(describe).join(" ");
  return Object.entries(problems).map(([field, text]) => `${field}: ${describe(text)}`).join("; ");
}
