// Screens of the app, built from data; actions are passed in as callbacks.
import { clockTime, h, longDate } from "./dom.js";
import { KIND_TEXT, locationSentence, ordered, progress, resultText } from "./visit_state.js";

const NO_ACCESS_REASONS = [
  ["no_answer", "No answer at the door"],
  ["not_at_home", "Person not at home"],
  ["refused", "Person refused care"],
  ["in_hospital", "Person is in hospital"],
  ["unsafe_to_enter", "Unsafe to enter"],
  ["other", "Other (say why in the note)"],
];

function actionBar(...buttons) {
  return h("div", { class: "actions" }, buttons);
}

/** The sign-in form. */
export function signIn({ username = "", message, onSubmit }) {
  const form = h("form", { class: "stack", novalidate: true, onsubmit: (e) => {
    e.preventDefault();
    onSubmit(form.elements.username.value.trim(), form.elements.password.value);
  } },
  h("h1", { tabindex: "-1" }, "Sign in"),
  message ? h("p", { class: "notice", role: "alert" }, message) : null,
  h("div", { class: "field" },
    h("label", { for: "username" }, "Username"),
    h("input", { id: "username", name: "username", autocomplete: "username", required: true,
      autocapitalize: "none", spellcheck: "false", value: username })),
  h("div", { class: "field" },
    h("label", { for: "password" }, "Password"),
    h("input", { id: "password", name: "password", type: "password",
      autocomplete: "current-password", required: true })),
  h("p", { class: "error", id: "sign-in-error", role: "alert" }),
  actionBar(h("button", { class: "primary", type: "submit" }, "Sign in")));
  return form;
}

function summary(visit) {
  const parts = [`${visit.tasks.length} task${visit.tasks.length === 1 ? "" : "s"}`];
  if (visit.goals.length) parts.push(`${visit.goals.length} goal${visit.goals.length === 1 ? "" : "s"}`);
  if (visit.co_workers.length) parts.push(`with ${visit.co_workers.join(", ")}`);
  return parts.join(" · ");
}

function visitCard(visit, queue, isNext) {
  const state = progress(visit, queue);
  return h("li", { class: `visit${isNext ? " next" : ""}` },
    // No aria-label: the link's name is everything the card shows (time, person, address,
    // getting in, tasks, state), so what is read out matches what is seen.
    h("a", { href: `#/visit/${visit.id}`, class: "visit-link" },
    h("span", { class: "when" }, isNext ? h("strong", {}, "Next · ") : null,
      `${clockTime(visit.planned_start)}–${clockTime(visit.planned_end)}`),
    h("span", { class: "who" }, visit.service_user.name),
    h("span", { class: "where" }, `${visit.service_user.address}, ${visit.service_user.postcode}`),
    visit.service_user.access_notes
      ? h("span", { class: "access-line" }, `Getting in: ${visit.service_user.access_notes}`) : null,
    h("span", { class: "muted" }, summary(visit)),
    h("span", { class: "badges" },
      h("span", { class: `pill status-${state.finished ? "done" : state.checkedIn ? "active" : "todo"}` }, state.label),
      visit.priority === "critical" ? h("span", { class: "pill critical" }, "Time-critical") : null,
      state.pending.length ? h("span", { class: "pill waiting" }, "Waiting to send") : null)));
}

/** Today's visits: the next one on top. */
export function rota({ rota, queue, fromCache, onReload, onSeen }) {
  const { todo, done } = ordered(rota.visits, queue);
  const changes = rota.rota_changes || [];
  return h("section", { class: "stack" },
    h("h1", { tabindex: "-1" }, "Today's visits"),
    changes.length ? h("section", { class: "banner rota-changed", role: "alert" },
      h("h2", {}, "Rota changed"),
      h("ul", {}, changes.map((c) => h("li", {}, c.body))),
      h("button", { type: "button", onclick: () => onSeen(changes) }, "Got it")) : null,
    h("p", { class: "muted" }, longDate(rota.date),
      fromCache ? " · saved copy (offline)" : ""),
    rota.visits.length === 0 ? h("p", {}, "No visits on your rota today.") : null,
    todo.length ? h("ol", { class: "visits", "aria-label": "Visits to do" },
      todo.map((v, i) => visitCard(v, queue, i === 0))) : null,
    done.length ? h("section", {},
      h("h2", {}, "Finished"),
      h("ol", { class: "visits", "aria-label": "Finished visits" },
        done.map((v) => visitCard(v, queue, false)))) : null,
    actionBar(h("button", { type: "button", onclick: onReload }, "Refresh")));
}

/** The office's number as a call link (every visit screen offers it). */
export function callOffice(visit, primary = false) {
  if (!visit.office_phone) {
    return h("p", { class: "muted" }, `${visit.office_name || "The office"} has no phone number on record.`);
  }
  return h("a", { class: `button call${primary ? " primary" : ""}`, href: `tel:${visit.office_phone.replace(/\s+/g, "")}` },
    `Call the office (${visit.office_phone})`);
}

/** The address as a link that opens the phone's map app at the home. */
function mapLink(visit) {
  const person = visit.service_user;
  const where = `${person.address}, ${person.postcode}`;
  const pin = visit.home && visit.home.lat !== null && visit.home.lat !== undefined
    ? `${visit.home.lat},${visit.home.lon}` : "0,0";
  return h("a", { class: "address map-link", href: `geo:${pin}?q=${encodeURIComponent(where)}` },
    person.address, h("br"), person.postcode, h("span", { class: "muted" }, " (opens your map app)"));
}

const MEDICATION = /^medication/i;

/** Whether a task is a medication task (given or not given, with a reason). */
export function isMedication(task) {
  return MEDICATION.test(task.description);
}

/** A score in words for a goal that has them ("as expected"), else the number. */
export function scoreWords(goal, score) {
  const found = (goal.score_words || []).find((w) => w.score === Number(score));
  return found ? found.words : String(score);
}

function goalLine(goal) {
  const latest = goal.latest_score === null || goal.latest_score === undefined
    ? "not scored yet" : `last time: ${scoreWords(goal, goal.latest_score)}`;
  return h("li", {}, goal.description,
    h("span", { class: "muted" }, ` (aim: ${scoreWords(goal, goal.target)}; ${latest})`));
}

function taskLine(visit, task) {
  if (!isMedication(task)) return h("li", {}, task.description);
  return h("li", { class: "medication" }, h("strong", {}, "Medication: "),
    task.description.replace(MEDICATION, "").replace(/^[\s:,-]+/, "") || task.description,
    h("span", { class: "muted" }, ` · due at this visit, ${clockTime(visit.planned_start)}`));
}

/** One visit: who, where, how to get in, what to do, and the next action at the bottom. */
export function visit({ visit, queue, lastEvent, estimateM, busy, locationError, actions }) {
  const state = progress(visit, queue);
  const person = visit.service_user;
  let buttons;
  if (locationError) {
    buttons = [h("button", { type: "button", onclick: actions.retry }, "Try again"),
      h("button", { type: "button", onclick: actions.withoutLocation }, "Go on without location")];
  } else if (state.finished) {
    buttons = [h("a", { class: "button", href: "#/" }, "Back to today's visits")];
  } else if (state.checkedIn) {
    buttons = [h("a", { class: "button primary", href: `#/visit/${visit.id}/check-out` }, "Check out")];
  } else {
    buttons = [
      h("a", { class: "button", href: `#/visit/${visit.id}/no-access` }, "No access"),
      h("button", { class: "primary", type: "button", onclick: actions.checkIn, disabled: busy },
        busy ? "Finding your location…" : "Check in"),
    ];
  }
  return h("article", { class: "stack" },
    h("a", { href: "#/", class: "back" }, "← Today's visits"),
    h("h1", { tabindex: "-1" }, person.name),
    h("p", { class: "when" }, `${clockTime(visit.planned_start)}–${clockTime(visit.planned_end)} · ${visit.duration_min} min`,
      visit.priority === "critical" ? h("span", { class: "pill critical" }, "Time-critical") : null),
    h("p", {}, h("span", { class: `pill status-${state.finished ? "done" : state.checkedIn ? "active" : "todo"}`, id: "visit-status" }, state.label),
      state.pending.length ? h("span", { class: "pill waiting" }, "Waiting to send") : null),
    lastEvent ? h("div", { class: `result ${lastEvent.verified === false ? "warn" : ""}`, id: "event-result", role: "status" },
      h("strong", {}, `${KIND_TEXT[lastEvent.kind]}: ${resultText(lastEvent)}.`), " ",
      lastEvent.kind !== "no_access" ? locationSentence(lastEvent, visit, estimateM) : "") : null,
    locationError ? h("p", { class: "error", role: "alert" }, locationError) : null,
    callOffice(visit),
    h("h2", {}, "Address"),
    h("p", {}, mapLink(visit)),
    person.access_notes ? h("div", { class: "access" }, h("h2", {}, "Getting in"), h("p", {}, person.access_notes)) : null,
    h("h2", {}, "Tasks"),
    visit.tasks.length ? h("ul", { class: "plain" }, visit.tasks.map((t) => taskLine(visit, t)))
      : h("p", {}, "No tasks listed."),
    visit.goals.length ? [h("h2", {}, "Goals"), h("ul", { class: "plain" }, visit.goals.map(goalLine))] : null,
    visit.co_workers.length ? h("p", {}, `With: ${visit.co_workers.join(", ")}`) : null,
    actionBar(...buttons));
}

function radio(name, value, text, checked, onchange) {
  const id = `${name}-${value}`;
  return h("div", { class: "choice" },
    h("input", { type: "radio", id, name, value, checked: Boolean(checked), onchange }),
    h("label", { for: id }, text));
}

/** Check-out form: tasks, goal progress, note, concern. The draft is saved as it is typed. */
export function checkOut({ visit, draft, onInput, onSubmit, busy }) {
  const form = h("form", { class: "stack", novalidate: true, id: "check-out-form",
    oninput: () => onInput(form), onchange: () => onInput(form),
    onsubmit: (e) => { e.preventDefault(); onSubmit(form); } },
  h("a", { href: `#/visit/${visit.id}`, class: "back" }, `← ${visit.service_user.name}`),
  h("h1", { tabindex: "-1" }, "Check out"),
  h("p", { class: "error", id: "form-error", role: "alert" }),
  visit.tasks.map((task) => {
    const saved = draft.tasks[task.id] || {};
    const name = `task-${task.id}`;
    const reasonId = `reason-${task.id}`;
    const medication = isMedication(task);
    return h("fieldset", { class: `task${medication ? " medication" : ""}` },
      h("legend", {}, medication ? `${task.description} (due ${clockTime(visit.planned_start)})` : task.description),
      h("div", { class: "choices" },
        radio(name, "done", medication ? "Given" : "Done", saved.done === true),
        radio(name, "not_done", medication ? "Not given" : "Not done", saved.done === false)),
      h("div", { class: "field", hidden: saved.done !== false },
        h("label", { for: reasonId }, medication ? "Why was it not given?" : "Why not?"),
        h("input", { id: reasonId, name: reasonId, value: saved.reason || "", maxlength: "300" })));
  }),
  visit.goals.length ? h("h2", {}, "Goal progress") : null,
  visit.goals.map((goal) => {
    const saved = draft.goals[goal.id] || {};
    const scores = [];
    for (let s = goal.scale_min; s <= goal.scale_max; s += 1) scores.push(s);
    return h("fieldset", { class: "goal" },
      h("legend", {}, goal.description),
      h("div", { class: "field" },
        h("label", { for: `score-${goal.id}` }, `How did it go today? (aim: ${scoreWords(goal, goal.target)})`),
        h("select", { id: `score-${goal.id}`, name: `score-${goal.id}` },
          h("option", { value: "" }, "Not scored this visit"),
          scores.map((s) => h("option", { value: String(s), selected: String(saved.score) === String(s) },
            goal.score_words && goal.score_words.length ? scoreWords(goal, s) : String(s))))),
      h("div", { class: "field" },
        h("label", { for: `goal-note-${goal.id}` }, "Goal note (optional)"),
        h("input", { id: `goal-note-${goal.id}`, name: `goal-note-${goal.id}`, value: saved.note || "", maxlength: "2000" })));
  }),
  h("div", { class: "field" },
    h("label", { for: "note" }, "Visit note (optional)"),
    h("textarea", { id: "note", name: "note", rows: "4", maxlength: "4000" }, draft.note || "")),
  h("div", { class: "choice" },
    h("input", { type: "checkbox", id: "concern", name: "concern", checked: Boolean(draft.concern) }),
    h("label", { for: "concern" }, "Raise a concern about this person")),
  h("div", { class: "field", hidden: !draft.concern },
    h("label", { for: "concern-text" }, "What is the concern?"),
    h("textarea", { id: "concern-text", name: "concern-text", rows: "3", maxlength: "2000" }, draft.concernText || "")),
  actionBar(h("button", { class: "primary", type: "submit", disabled: busy },
    busy ? "Finding your location…" : "Check out")));
  return form;
}

/** Read the check-out form into a draft (also what is saved while typing). */
export function readCheckOut(form, visit) {
  const value = (name) => (form.elements[name] ? form.elements[name].value : "");
  const draft = { tasks: {}, goals: {}, note: value("note"), concern: form.elements.concern.checked,
    concernText: value("concern-text") };
  for (const task of visit.tasks) {
    const picked = value(`task-${task.id}`);
    draft.tasks[task.id] = { done: picked === "done" ? true : picked === "not_done" ? false : null,
      reason: value(`reason-${task.id}`) };
    form.elements[`reason-${task.id}`].closest(".field").hidden = picked !== "not_done";
  }
  for (const goal of visit.goals) {
    draft.goals[goal.id] = { score: value(`score-${goal.id}`), note: value(`goal-note-${goal.id}`) };
  }
  form.elements["concern-text"].closest(".field").hidden = !draft.concern;
  return draft;
}

/** Before an early or out-of-order check-in: say why it is unusual and ask why. */
export function startCheck({ visit, warnings, busy, onSubmit }) {
  const form = h("form", { class: "stack", novalidate: true, onsubmit: (e) => {
    e.preventDefault(); onSubmit(form);
  } },
  h("a", { href: `#/visit/${visit.id}`, class: "back" }, `← ${visit.service_user.name}`),
  h("h1", { tabindex: "-1" }, "Check in now?"),
  h("div", { class: "notice", role: "alert" }, h("ul", { class: "plain" }, warnings.map((w) => h("li", {}, w)))),
  h("p", {}, "Your manager will see that this visit started early or out of order, with your reason."),
  h("p", { class: "error", id: "form-error", role: "alert" }),
  h("div", { class: "field" },
    h("label", { for: "start-reason" }, "Why are you checking in now?"),
    h("textarea", { id: "start-reason", name: "start-reason", rows: "3", maxlength: "300", required: true })),
  actionBar(h("a", { class: "button", href: `#/visit/${visit.id}` }, "Not now"),
    h("button", { class: "primary", type: "submit", disabled: busy },
      busy ? "Finding your location…" : "Check in anyway")));
  return form;
}

/** No access: a reason and a note. */
export function noAccess({ visit, onSubmit, busy }) {
  const form = h("form", { class: "stack", novalidate: true, onsubmit: (e) => {
    e.preventDefault(); onSubmit(form);
  } },
  h("a", { href: `#/visit/${visit.id}`, class: "back" }, `← ${visit.service_user.name}`),
  h("h1", { tabindex: "-1" }, "No access"),
  h("p", { class: "error", id: "form-error", role: "alert" }),
  h("fieldset", {}, h("legend", {}, "What happened?"),
    NO_ACCESS_REASONS.map(([value, text]) => radio("reason", value, text, false))),
  h("div", { class: "field" },
    h("label", { for: "note" }, "Note (optional)"),
    h("textarea", { id: "note", name: "note", rows: "3", maxlength: "4000" })),
  actionBar(h("button", { class: "primary", type: "submit", disabled: busy }, "Report no access")));
  return form;
}

/** After "no access": what to do next, while the office has been told. */
export function afterNoAccess({ visit, sent = true }) {
  const person = visit.service_user;
  return h("section", { class: "stack" },
    h("h1", { tabindex: "-1" }, "What to do next"),
    h("p", { class: "notice" }, sent
      ? "The office has been told you could not get in. Stay safe; do not force entry."
      : "Saved on this phone: the office is told as soon as it is back online, so call them now. Stay safe; do not force entry."),
    h("ol", { class: "plain" },
      h("li", {}, "Call the office now: they will decide on another visit."),
      h("li", {}, person.contact_name
        ? `If the office asks, ring ${person.contact_name}${person.contact_phone ? ` on ${person.contact_phone}` : ""}.`
        : "There is no family contact on record; the office will follow up."),
      h("li", {}, "Then go on to your next visit.")),
    actionBar(callOffice(visit, true),
      person.contact_phone ? h("a", { class: "button", href: `tel:${person.contact_phone.replace(/\s+/g, "")}` },
        `Call ${person.contact_name || "the contact"}`) : null,
      h("a", { class: "button", href: "#/" }, "Today's visits")));
}

/** Every event on this phone and what happened to it. */
export function outbox({ items, onSend, online }) {
  const waiting = items.filter((i) => i.status === "waiting" || i.status === "sending").length;
  return h("section", { class: "stack" },
    h("a", { href: "#/", class: "back" }, "← Today's visits"),
    h("h1", { tabindex: "-1" }, "Sent from this phone"),
    h("p", {}, waiting ? `${waiting} waiting to send.` : "Nothing waiting to send."),
    items.length ? h("ol", { class: "outbox", id: "outbox" }, [...items].reverse().map((item) =>
      h("li", { class: `event event-${item.status}`, "data-client-event-id": item.client_event_id },
        h("span", { class: "who" }, `${KIND_TEXT[item.kind]} · ${item.visit_label}`),
        h("span", { class: "muted" }, `Recorded ${item.body.device_time.slice(11, 16)}`),
        h("span", { class: "event-result" }, resultText(item))))) : null,
    waiting && online ? actionBar(h("button", { class: "primary", type: "button", onclick: onSend }, "Send now")) : null);
}
