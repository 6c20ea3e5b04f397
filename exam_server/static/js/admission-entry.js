// The exam page's entry: the candidate types their candidate number and the short admission code
// the proctor gave (docs/protocol.md, "Admission codes"); the server exchanges them for the long
// session token, which the page then holds. A long session token pasted in the code field (the
// kiosk's, or one from the API) is used as it is.

import { api, fmt, pageStrings } from "./api.js";

const S = pageStrings();
const ALPHABET = /^[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{8}$/;
const SEPARATORS = /[\s\-_.·]+/g;

/** The code as the server reads it (any case, separators ignored), or null if it is not one. */
export function asCode(typed) {
  const code = String(typed || "").replace(SEPARATORS, "").toUpperCase();
  return ALPHABET.test(code) ? code : null;
}

/** -> {token} or {error: text to show}. */
export async function exchange(number, typed) {
  const value = String(typed || "").trim();
  if (value.length > 20 && !asCode(value)) return { token: value };     // a session token itself
  if (!number) return { error: S.number_required };
  if (!asCode(value)) return { error: S.code_format };
  const answer = await api("/api/v1/admission/redeem", { method: "POST", json: { candidate_number: number, code: value } });
  if (answer.ok) return { token: answer.data.token };
  const error = answer.data.error;
  if (answer.status === 429) return { error: S.code_rate_limited };
  if (error === "code_locked") return { error: S.code_locked };
  if (error === "bad_code") {
    return { error: answer.data.tries_left ? fmt(S.code_wrong_left, { n: answer.data.tries_left }) : S.code_wrong };
  }
  if (error === "bad_code_format") return { error: S.code_format };
  return { error: fmt(S.code_failed, { message: answer.data.message || error }) };
}
