// IndexedDB on the phone: a key-value store (sign-in, device id, saved rota,
// drafts of check-out forms) and the queue of visit events waiting to be sent.
// Everything here survives closing the page, a reload and going offline.

const DB_NAME = "ecm-carer";
const DB_VERSION = 1;
let opening = null;

function open() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, DB_VERSION);
      request.onupgradeneeded = () => {
        const db = request.result;
        if (!db.objectStoreNames.contains("kv")) db.createObjectStore("kv");
        if (!db.objectStoreNames.contains("queue")) {
          db.createObjectStore("queue", { keyPath: "client_event_id" });
        }
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }
  return opening;
}

async function run(storeName, mode, action) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(storeName, mode);
    const request = action(tx.objectStore(storeName));
    tx.oncomplete = () => resolve(request ? request.result : undefined);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

/** The value stored under key, or undefined. */
export function get(key) {
  return run("kv", "readonly", (s) => s.get(key));
}

/** Store a value (structured clone) under key. */
export function set(key, value) {
  return run("kv", "readwrite", (s) => s.put(value, key));
}

/** Forget a key. */
export function remove(key) {
  return run("kv", "readwrite", (s) => s.delete(key));
}

/** Every queued event, oldest first. */
export async function queued() {
  const items = await run("queue", "readonly", (s) => s.getAll());
  return items.sort((a, b) => a.created_at.localeCompare(b.created_at));
}

/** Add or update one queued event (keyed by its client event id). */
export function putQueued(item) {
  return run("queue", "readwrite", (s) => s.put(item));
}

/** Remove one queued event. */
export function removeQueued(clientEventId) {
  return run("queue", "readwrite", (s) => s.delete(clientEventId));
}

/** This browser's device id, made once and kept: it scopes client event ids. */
export async function deviceId() {
  let id = await get("device_id");
  if (!id) {
    id = "web-" + crypto.randomUUID();
    await set("device_id", id);
  }
  return id;
}
