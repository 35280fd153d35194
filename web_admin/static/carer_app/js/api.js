// The public JSON API (/api/v1) and the sign-in it needs.
//
// Tokens: the access token (15 minutes) lives in memory only. The rotating
// refresh token is kept in IndexedDB, because a care worker must be able to
// close the app offline mid-visit and still send the queued events later
// without typing a password on the doorstep. The trade-off: script running in
// this origin can read IndexedDB (as it could localStorage), so the app serves a
// strict Content-Security-Policy (no inline or third-party script), the server
// rotates refresh tokens and revokes the whole family when an old one is
// replayed, and signing out revokes it. Keeping both tokens in memory only would
// be safer against theft but would lose the sign-in on every reload, which
// breaks "nothing is lost when the page is closed".
import * as store from "./store.js";

const BASE = "/api/v1";
let accessToken = null;
let accessExpiresAt = 0;

/** The network could not be reached (offline, or the server is down). */
export class Offline extends Error {}

/** The refresh token is gone or refused: the worker must sign in again. */
export class SignInNeeded extends Error {}

/** The API answered with its error shape. A 503 means "try later" (the database is
 * briefly unavailable): nothing was stored, and retryAfterS says when to send again. */
export class ApiError extends Error {
  constructor(status, error, retryAfterS = null) {
    super((error && error.message) || `The server answered ${status}.`);
    this.status = status;
    this.code = (error && error.code) || "error";
    this.fields = (error && error.fields) || {};
    this.retryAfterS = retryAfterS;
  }

  /** Whether the request may simply be sent again later, unchanged. */
  get tryLater() {
    return this.status === 503 || this.status === 429;
  }
}

function retryAfter(response) {
  const seconds = Number.parseInt(response.headers.get("Retry-After"), 10);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : null;
}

async function send(path, { method = "GET", body, headers = {}, token } = {}) {
  const init = { method, headers: { Accept: "application/json", ...headers } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  if (token) init.headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(BASE + path, init);
  } catch (error) {
    throw new Offline("No connection.");
  }
  if (response.status === 204) return { response, data: null };
  let data = null;
  try {
    data = await response.json();
  } catch (error) {
    data = null;
  }
  if (!response.ok) {
    if (response.status >= 502 && response.status <= 504 && !data) throw new Offline("Server unreachable.");
    throw new ApiError(response.status, data && data.error, retryAfter(response));
  }
  return { response, data };
}

function keep(pair) {
  accessToken = pair.access_token;
  accessExpiresAt = Date.now() + (pair.expires_in - 30) * 1000;
}

/** The signed-in user as last seen (works offline), or null. */
export function savedUser() {
  return store.get("user").then((user) => user || null);
}

/** Sign in with username and password; keeps the tokens and returns the user. */
export async function signIn(username, password) {
  const deviceId = await store.deviceId();
  const { data } = await send("/auth/sign-in", {
    method: "POST", body: { username, password, device_id: deviceId },
  });
  keep(data);
  await store.set("refresh_token", data.refresh_token);
  await store.set("user", data.user);
  return data.user;
}

async function rotate() {
  const refreshToken = await store.get("refresh_token");
  if (!refreshToken) throw new SignInNeeded("Sign in to send your visits.");
  try {
    const { data } = await send("/auth/refresh", {
      method: "POST", body: { refresh_token: refreshToken },
    });
    keep(data);
    await store.set("refresh_token", data.refresh_token);
    await store.set("user", data.user);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      await store.remove("refresh_token");
      throw new SignInNeeded("Your sign-in has ended. Sign in again to send your visits.");
    }
    throw error;
  }
}

/** A fresh access token: one refresh at a time across tabs (each refresh token works once). */
async function refresh(staleToken) {
  const work = async () => {
    if (accessToken && accessToken !== staleToken && Date.now() < accessExpiresAt) return;
    await rotate();
  };
  if (navigator.locks) return navigator.locks.request("ecm-token-refresh", work);
  return work();
}

/** Call the API as the signed-in worker; refreshes the access token when needed. */
export async function call(path, options = {}) {
  if (!accessToken || Date.now() >= accessExpiresAt) await refresh(accessToken);
  try {
    return (await send(path, { ...options, token: accessToken })).data;
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 401) throw error;
    await refresh(accessToken);  // expired or revoked mid-visit: rotate once and retry
    try {
      return (await send(path, { ...options, token: accessToken })).data;
    } catch (again) {
      if (again instanceof ApiError && again.status === 401) {
        throw new SignInNeeded("Sign in again to send your visits.");
      }
      throw again;
    }
  }
}

/** Sign out: revoke the refresh token on the server if we can, forget it here anyway. */
export async function signOut() {
  const refreshToken = await store.get("refresh_token");
  try {
    if (refreshToken) {
      await send("/auth/sign-out", { method: "POST", body: { refresh_token: refreshToken } });
    }
  } catch (error) {
    // Offline or already revoked: the token is forgotten below either way.
  }
  accessToken = null;
  accessExpiresAt = 0;
  await store.remove("refresh_token");
  await store.remove("user");
  await store.remove("rota");
  if ("caches" in window) await caches.delete("ecm-rota");
}

/** Today's rota from the server (the service worker keeps a copy for offline). */
export function rota() {
  return call("/me/rota");
}

/** Mark one inbox notice read (the "rota changed" banner's "Got it"). */
export function markRead(id) {
  return call(`/notifications/${id}/read`, { method: "POST" });
}
