// The care worker app: state, screens and what each button does.
import * as api from "./api.js";
import { clockTime, h } from "./dom.js";
import { currentPosition, distanceM } from "./geo.js";
import * as queue from "./queue.js";
import * as store from "./store.js";
import * as views from "./views.js";
import { ordered, progress } from "./visit_state.js";

const RETRY_MS = 30000;
const state = {
  user: null, rota: null, fromCache: false, queue: [], signInNeeded: null,
  busy: false, locationError: null, pendingAction: null, estimates: {},
};
const main = document.getElementById("main");
const banner = document.getElementById("connection");
const outboxLink = document.getElementById("outbox-link");
// Sign out sits in the header, away from the buttons used at every visit.
const signOutButton = document.getElementById("sign-out");

function announce(text) {
  document.getElementById("announce").textContent = text;
}

function route() {
  const parts = location.hash.replace(/^#\/?/, "").split("/").filter(Boolean);
  return { name: parts[0] || "rota", visitId: parts[1], sub: parts[2] };
}

function findVisit(id) {
  return state.rota && state.rota.visits.find((v) => v.id === id);
}

function latestEvent(visitId) {
  const mine = state.queue.filter((e) => e.visit_id === visitId);
  return mine.length ? mine[mine.length - 1] : null;
}

function showConnection() {
  const waiting = state.queue.filter((e) => e.worker_id === state.user?.id
    && (e.status === "waiting" || e.status === "sending")).length;
  banner.hidden = navigator.onLine && !state.signInNeeded;
  banner.textContent = state.signInNeeded ? `Sign in again to send ${waiting} waiting event(s).`
    : "Offline: what you record is saved on this phone and sent when the connection is back.";
  outboxLink.hidden = !state.user;
  signOutButton.hidden = !state.user;
  outboxLink.textContent = waiting ? `Outbox (${waiting} waiting)` : "Outbox";
}

/** Draw the screen for the current route; focus its heading when the route changed. */
function render(moveFocus = false) {
  showConnection();
  const { name, visitId, sub } = route();
  let screen;
  if (!state.user || state.signInNeeded) {
    screen = views.signIn({ username: state.user?.username || "", message: state.signInNeeded
      || (navigator.onLine ? null : "You are offline. Connect to sign in."), onSubmit: signIn });
  } else if (!state.rota) {
    screen = h("p", { role: "status" }, "Loading your rota…");
  } else if (name === "outbox") {
    screen = views.outbox({ items: state.queue.filter((e) => e.worker_id === state.user.id),
      online: navigator.onLine, onSend: sendQueue });
  } else if (name === "visit" && findVisit(visitId)) {
    const visit = findVisit(visitId);
    if (sub === "check-out") {
      screen = views.checkOut({ visit, draft: state.draft || emptyDraft(), busy: state.busy,
        onInput: (form) => saveDraft(visit, form), onSubmit: (form) => checkOut(visit, form) });
    } else if (sub === "check-in" && startWarnings(visit).warnings.length) {
      screen = views.startCheck({ visit, warnings: startWarnings(visit).warnings, busy: state.busy,
        onSubmit: (form) => checkInAnyway(visit, form) });
    } else if (sub === "no-access") {
      screen = views.noAccess({ visit, busy: state.busy, onSubmit: (form) => noAccess(visit, form) });
    } else if (sub === "next-step") {
      const last = latestEvent(visit.id);
      screen = views.afterNoAccess({ visit, sent: !last || !["waiting", "sending"].includes(last.status) });
    } else {
      screen = views.visit({ visit, queue: state.queue, lastEvent: latestEvent(visit.id),
        estimateM: state.estimates[visit.id], busy: state.busy, locationError: state.locationError,
        actions: { checkIn: () => checkIn(visit), retry: () => state.pendingAction(true),
          withoutLocation: () => state.pendingAction(false) } });
    }
  } else {
    screen = views.rota({ rota: state.rota, queue: state.queue, fromCache: state.fromCache,
      onReload: loadRota, onSeen: seeChanges });
  }
  const active = document.activeElement;
  const keepId = !moveFocus && active && active.id && main.contains(active) ? active.id : null;
  main.replaceChildren(screen);
  if (moveFocus) {
    const heading = main.querySelector("h1");
    if (heading) heading.focus();
  } else if (keepId && document.getElementById(keepId)) {
    document.getElementById(keepId).focus();
  }
}

function emptyDraft() {
  return { tasks: {}, goals: {}, note: "", concern: false, concernText: "" };
}

async function refreshQueue() {
  state.queue = await queue.all();
  scheduleRetry();
}

let retryTimer = null;

/** Events the server asked to send later (503 Retry-After) go again when it said, not
 * at the next half-minute sweep. */
function scheduleRetry() {
  const due = state.queue.filter((e) => e.worker_id === state.user?.id && e.status === "waiting"
    && e.retry_at).map((e) => Date.parse(e.retry_at));
  if (!due.length || retryTimer) return;
  const wait = Math.min(Math.max(0, Math.min(...due) - Date.now()), RETRY_MS);
  retryTimer = setTimeout(() => { retryTimer = null; sendQueue(); }, wait);
}

async function loadRota() {
  try {
    state.rota = await api.rota();
    state.fromCache = !navigator.onLine;  // answered by the service worker's copy
    await store.set("rota", { worker_id: state.user.id, rota: state.rota });
  } catch (error) {
    if (error instanceof api.SignInNeeded) {
      state.signInNeeded = error.message;
    }
    const saved = await store.get("rota");
    if (saved && saved.worker_id === state.user.id) {
      state.rota = saved.rota;
      state.fromCache = true;
    } else if (!state.rota) {
      state.rota = { date: new Date().toISOString().slice(0, 10), visits: [] };
      state.fromCache = true;
    }
    if (!(error instanceof api.Offline) && !(error instanceof api.SignInNeeded)) {
      announce(`Could not load the rota: ${error.message}`);
    }
  }
  render();
}

/** The carer has read the "rota changed" banner: mark its notices read, then hide it. */
async function seeChanges(changes) {
  try {
    for (const change of changes) await api.markRead(change.id);
    state.rota = { ...state.rota, rota_changes: [] };
    render(true);
  } catch (error) {
    announce(`Could not mark the change read: ${error.message}`);
  }
}

async function signIn(username, password) {
  const error = document.getElementById("sign-in-error");
  if (!username || !password) {
    error.textContent = "Enter your username and password.";
    return;
  }
  try {
    const user = await api.signIn(username, password);
    if (state.user && state.user.id !== user.id) state.rota = null;
    state.user = user;
    state.signInNeeded = null;
  } catch (failure) {
    error.textContent = failure instanceof api.Offline
      ? "No connection. Sign in when you are back online." : failure.message;
    return;
  }
  await refreshQueue();
  render(true);
  await sendQueue();
  await loadRota();
}

async function signOut() {
  const waiting = state.queue.filter((e) => e.worker_id === state.user.id && e.status === "waiting");
  if (waiting.length && !confirm(`${waiting.length} event(s) are still waiting to send. `
      + "They stay on this phone and are sent when you sign in again. Sign out?")) return;
  await api.signOut();
  state.user = null;
  state.rota = null;
  location.hash = "#/";
  render(true);
}

/** Send everything waiting; show each event's result. */
async function sendQueue() {
  if (!state.user || state.signInNeeded || !navigator.onLine) return;
  try {
    const results = await queue.flush(state.user);
    if (results && results.length) {
      const accepted = results.filter((r) => r.result !== "rejected").length;
      announce(`Sent ${results.length} event(s): ${accepted} accepted`
        + `${accepted < results.length ? `, ${results.length - accepted} rejected` : ""}.`);
      await refreshQueue();
      await loadRota();
      return;
    }
  } catch (error) {
    if (error instanceof api.SignInNeeded) state.signInNeeded = error.message;
  }
  await refreshQueue();
  render();
}

/** Find the location, or stop with a message and offer to retry or go on without it. */
async function locate(visit, action) {
  state.busy = true;
  state.locationError = null;
  render();
  try {
    const position = await currentPosition();
    state.estimates[visit.id] = distanceM(position, visit.home);
    return { lat: position.lat, lon: position.lon, accuracy_m: position.accuracy_m, method: "gps" };
  } catch (error) {
    state.locationError = error.message;
    state.pendingAction = async (again) => {
      state.locationError = null;
      await action(again ? undefined : {});
    };
    return null;
  } finally {
    state.busy = false;
  }
}

async function recordEvent(visit, kind, fields) {
  try {
    const item = await queue.record(state.user, visit, kind, { mock_location: false, ...fields });
    announce(item.status === "waiting" ? `Saved on this phone. ${item.retry_at
      ? "The service is busy; it will be sent again in a few seconds." : "Waiting to send."}`
      : `${kind.replace("_", " ")}: ${item.status}.`);
  } catch (error) {
    if (error instanceof api.SignInNeeded) state.signInNeeded = error.message;
  }
  await refreshQueue();
}

/** Why this check-in needs a second look: more than the contract's early time
 * (60 minutes unless it says otherwise) before the planned start, or not the visit
 * the rota shows as next. */
function startWarnings(visit) {
  const warnings = [];
  const early = (Date.parse(visit.planned_start) - Date.now()) / 60000;
  const allowed = visit.early_checkin_warn_min ?? 60;
  if (early > allowed) {
    const total = Math.round(early);
    const hours = Math.floor(total / 60);
    const minutes = total % 60;
    const span = hours ? `${hours} h${minutes ? ` ${minutes} min` : ""}` : `${minutes} min`;
    warnings.push(`This visit is planned for ${clockTime(visit.planned_start)}: that is ${span} from now.`);
  }
  // The next visit: the first not yet started (one still checked in is not skipped).
  const next = ordered(state.rota.visits, state.queue).todo
    .find((v) => !progress(v, state.queue).checkedIn);
  const outOfOrder = Boolean(next && next.id !== visit.id);
  if (outOfOrder) {
    warnings.push(`This is not your next visit: ${next.service_user.name} at ${clockTime(next.planned_start)} is.`);
  }
  return { warnings, early: early > allowed, outOfOrder };
}

async function checkIn(visit, where, start = {}) {
  if (!where && !start.start_reason && startWarnings(visit).warnings.length) {
    location.hash = `#/visit/${visit.id}/check-in`;  // warn and ask why first
    return;
  }
  const location_ = where || await locate(visit, (w) => checkIn(visit, w, start));
  if (!location_) {
    if (start.start_reason) location.hash = `#/visit/${visit.id}`;  // retry offered there
    render();
    return;
  }
  await recordEvent(visit, "check_in", { ...location_, ...start });
  if (route().sub === "check-in") {
    location.hash = `#/visit/${visit.id}`;
  } else {
    render(true);
  }
}

async function checkInAnyway(visit, form) {
  const reason = form.elements["start-reason"].value.trim();
  if (!reason) {
    const error = document.getElementById("form-error");
    error.textContent = "Say why you are checking in now.";
    form.elements["start-reason"].focus();
    return;
  }
  await checkIn(visit, undefined, { start_reason: reason,
    out_of_order: startWarnings(visit).outOfOrder });
}

async function saveDraft(visit, form) {
  state.draft = views.readCheckOut(form, visit);
  await store.set(`draft:${visit.id}`, state.draft);
}

function checkOutFields(visit, draft) {
  const problems = [];
  const tasks = [];
  for (const task of visit.tasks) {
    const answer = draft.tasks[task.id] || {};
    if (answer.done === null || answer.done === undefined) problems.push(`Say whether "${task.description}" was done.`);
    else if (answer.done === false && !answer.reason.trim()) problems.push(`Say why "${task.description}" was not done.`);
    else tasks.push({ task_id: task.id, done: answer.done, reason: answer.done ? null : answer.reason.trim() });
  }
  const goalProgress = visit.goals.filter((g) => draft.goals[g.id] && draft.goals[g.id].score !== "")
    .map((g) => ({ goal_id: g.id, score: Number(draft.goals[g.id].score), note: draft.goals[g.id].note.trim() || null }));
  if (draft.concern && !draft.concernText.trim()) problems.push("Describe the concern.");
  return { problems, fields: { tasks, goal_progress: goalProgress, note: draft.note.trim() || null,
    concern: draft.concern ? { flag: true, text: draft.concernText.trim() } : null } };
}

async function checkOut(visit, form, where) {
  const draft = views.readCheckOut(form, visit);
  const { problems, fields } = checkOutFields(visit, draft);
  if (problems.length) {
    const error = document.getElementById("form-error");
    error.textContent = problems.join(" ");
    error.scrollIntoView({ block: "center" });
    return;
  }
  state.draft = draft;
  const location_ = where || await locate(visit, (w) => checkOut(visit, form, w));
  if (!location_) {
    location.hash = `#/visit/${visit.id}`;  // the visit screen offers retry / go on
    return;
  }
  await recordEvent(visit, "check_out", { ...location_, ...fields });
  await store.remove(`draft:${visit.id}`);
  state.draft = null;
  location.hash = `#/visit/${visit.id}`;
}

async function noAccess(visit, form) {
  const reason = form.elements.reason.value;
  if (!reason) {
    document.getElementById("form-error").textContent = "Choose what happened.";
    return;
  }
  const where = await locate(visit, () => {});
  state.locationError = null;  // no access is reported with or without a location
  await recordEvent(visit, "no_access", { ...(where || {}), reason,
    note: form.elements.note.value.trim() || null });
  location.hash = `#/visit/${visit.id}/next-step`;  // call the office, the contact, move on
}

async function onRoute() {
  const { name, visitId, sub } = route();
  state.locationError = null;
  if (name === "visit" && sub === "check-out") {
    state.draft = (await store.get(`draft:${visitId}`)) || emptyDraft();
  }
  render(true);
}

/** The bottom action bar stays on screen only while it is small: with large text its
 * buttons wrap, and a bar taking more than a fifth of the screen scrolls with the page. */
function keepBarSmall() {
  const bar = main.querySelector(".actions");
  if (!bar) return;
  bar.classList.remove("unstuck");
  if (bar.getBoundingClientRect().height > window.innerHeight * 0.2) bar.classList.add("unstuck");
}

async function start() {
  signOutButton.addEventListener("click", signOut);
  new MutationObserver(keepBarSmall).observe(main, { childList: true });
  window.addEventListener("resize", keepBarSmall);
  window.addEventListener("hashchange", onRoute);
  window.addEventListener("online", () => { render(); sendQueue(); });
  window.addEventListener("offline", () => render());
  queue.onChange(async () => { await refreshQueue(); showConnection(); });
  setInterval(() => {
    if (state.queue.some((e) => e.status === "waiting")) sendQueue();
  }, RETRY_MS);
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("sw.js", { scope: "./" }).catch(() => {});
  }
  state.user = await api.savedUser();
  await refreshQueue();
  if (state.user) {
    const { sub, visitId } = route();
    if (sub === "check-out") state.draft = (await store.get(`draft:${visitId}`)) || emptyDraft();
    await loadRota();
    await sendQueue();
  }
  render(true);
  document.body.dataset.ready = "true";
}

start();
