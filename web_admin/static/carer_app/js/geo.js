// The phone's location (only at check-in and check-out: no tracking), device
// time with its UTC offset, and a local distance estimate for offline use.

/** The current position with its accuracy, or an Error with a message a carer understands. */
export function currentPosition() {
  return new Promise((resolve, reject) => {
    if (!("geolocation" in navigator)) {
      reject(new Error("This browser cannot share its location."));
      return;
    }
    navigator.geolocation.getCurrentPosition(
      (position) => resolve({
        lat: position.coords.latitude,
        lon: position.coords.longitude,
        accuracy_m: Math.round(position.coords.accuracy * 10) / 10,
      }),
      (error) => reject(new Error(error.code === error.PERMISSION_DENIED
        ? "Location is blocked for this app. Allow it in the browser's site settings."
        : "The phone could not find its location. Try again, near a window if you can.")),
      { enableHighAccuracy: true, timeout: 20000, maximumAge: 0 },
    );
  });
}

function pad(n) {
  return String(Math.floor(Math.abs(n))).padStart(2, "0");
}

/** Now in ISO 8601 with the phone's UTC offset, e.g. 2026-03-29T08:02:11+01:00. */
export function deviceTime(date = new Date()) {
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? "+" : "-";
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`
    + `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
    + `${sign}${pad(offset / 60)}:${pad(offset % 60)}`;
}

/** Great-circle distance in metres (an estimate; the server's verdict is what counts). */
export function distanceM(a, b) {
  const rad = (d) => (d * Math.PI) / 180;
  const dLat = rad(b.lat - a.lat);
  const dLon = rad(b.lon - a.lon);
  const h = Math.sin(dLat / 2) ** 2
    + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371008.8 * Math.asin(Math.sqrt(h));
}
