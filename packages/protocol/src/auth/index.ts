export { requestDigest, sessionDigest } from "./digest.ts";
export { AUTH_ERRORS, type AuthErrorCode, RequestAuthError } from "./errors.ts";
export {
  assertBodyHash,
  bodyHasher,
  bodySha256,
  claimSignature,
  EMPTY_BODY_SHA256,
  HEADER_CONTENT_SHA256,
  HEADER_SIGNATURE,
  HEADER_TIMESTAMP,
  MemoryReplayDetector,
  type RelayDomain,
  type ReplayDetector,
  relayDomain,
  requestTypes,
  SIGNATURE_WINDOW_SECONDS,
  type SignRequestParameters,
  signRequest,
  type TypedDataSigner,
  type VerifiedRequest,
  type VerifyRequestParameters,
  verifyRequest,
} from "./request.ts";
export {
  HEADER_SESSION,
  SESSION_MAX_SECONDS,
  type SessionDelegation,
  type SessionSigner,
  sessionHeader,
  sessionTypes,
  signSession,
  verifySession,
} from "./session.ts";
