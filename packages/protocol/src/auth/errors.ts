/** Why a relay request failed authentication; each code has one meaning and one HTTP status. */
export const AUTH_ERRORS = {
  RELAY_AUTH_MISSING: {
    status: 401,
    message: "the request is not signed (x-hydrogen-signature / x-hydrogen-timestamp missing)",
  },
  RELAY_AUTH_MALFORMED: { status: 400, message: "an authentication header is malformed" },
  RELAY_AUTH_CLOCK_SKEW: {
    status: 401,
    message: "the timestamp is more than the allowed window away from the relay's clock",
  },
  RELAY_AUTH_BAD_SIGNATURE: { status: 401, message: "the signature does not recover to an address" },
  RELAY_AUTH_REPLAYED: { status: 401, message: "this signature was already used" },
  RELAY_AUTH_BODY_MISMATCH: { status: 400, message: "the body does not match its signed SHA-256" },
  RELAY_AUTH_SESSION_EXPIRED: { status: 401, message: "the session delegation has expired: sign a new one" },
  RELAY_AUTH_SESSION_TOO_LONG: {
    status: 401,
    message: "the session delegation expires more than 24 h from now: sign a shorter one",
  },
} as const;

export type AuthErrorCode = keyof typeof AUTH_ERRORS;

/** A request that fails spec §7 authentication. Not retryable as sent: sign a new request. */
export class RequestAuthError extends Error {
  override readonly name = "RequestAuthError";
  readonly status: number;
  readonly retryable = false;

  constructor(
    readonly code: AuthErrorCode,
    details?: string,
  ) {
    super(details ? `${AUTH_ERRORS[code].message}: ${details}` : AUTH_ERRORS[code].message);
    this.status = AUTH_ERRORS[code].status;
  }
}
