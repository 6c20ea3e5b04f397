// Times on the proctor's page: 24-hour, in the page's language (dd/mm/yyyy in Vietnamese), in the
// site's time zone (data-time-zone on base.html's body, EXAM_TIME_ZONE), not the computer's: a school PC set
// to UTC still shows the room's clock, its window and its incidents in Vietnam time.

const LANG = document.documentElement.lang || "vi";
const ZONE = document.body.dataset.timeZone || undefined;
const TIME = new Intl.DateTimeFormat(LANG, { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: ZONE });
const TIME_S = new Intl.DateTimeFormat(LANG, { hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
  timeZone: ZONE });
const DATE = new Intl.DateTimeFormat(LANG, { day: "2-digit", month: "2-digit", year: "numeric", timeZone: ZONE });

/** A duration in seconds as m:ss or h:mm:ss ("—" when unknown). */
export function clock(seconds) {
  if (typeof seconds !== "number" || Number.isNaN(seconds)) return "—";
  const s = Math.max(0, Math.ceil(seconds));
  const pad = (n) => String(n).padStart(2, "0");
  const hh = Math.floor(s / 3600);
  return hh ? `${hh}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}` : `${pad(Math.floor(s / 60))}:${pad(s % 60)}`;
}

function parse(iso) {
  if (!iso) return null;
  const d = iso instanceof Date ? iso : new Date(iso);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** 09:05 */
export function timeOf(iso) { const d = parse(iso); return d ? TIME.format(d) : ""; }
/** 09:05:07 */
export function timeWithSeconds(iso) { const d = parse(iso); return d ? TIME_S.format(d) : ""; }
/** 04/12/2026 */
export function dateOf(iso) { const d = parse(iso); return d ? DATE.format(d) : ""; }
