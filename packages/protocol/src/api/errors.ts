import { AUTH_ERRORS } from "../auth/errors.ts";

/** One relay error code: its HTTP status, whether retrying the same request can succeed, what it means. */
export interface RelayErrorSpec {
  status: number;
  retryable: boolean;
  description: string;
}

/**
 * Every error code the relay answers with (spec §7). A client's mistake is a 4xx, never a 5xx;
 * `retryable` says whether the same request may succeed later (e.g. once the relay has seen
 * the chain event), so clients decide by code, never by message.
 */
export const RELAY_ERRORS = {
  RELAY_INVALID_REQUEST: {
    status: 400,
    retryable: false,
    description: "malformed JSON, a missing or unknown field, a bad parameter",
  },
  ...(Object.fromEntries(
    Object.entries(AUTH_ERRORS).map(([code, e]) => [
      code,
      { status: e.status, retryable: false, description: e.message },
    ]),
  ) as { [K in keyof typeof AUTH_ERRORS]: RelayErrorSpec }),
  RELAY_FORBIDDEN: {
    status: 403,
    retryable: false,
    description: "the signer is not allowed this request for this task",
  },
  RELAY_NOT_FOUND: { status: 404, retryable: false, description: "no such route" },
  RELAY_NODE_UNKNOWN: {
    status: 404,
    retryable: true,
    description: "the relay's index holds no NodeRegistry or task event of this address (yet)",
  },
  RELAY_TASK_NOT_ON_CHAIN: {
    status: 404,
    retryable: true,
    description: "the relay has not seen this task's TaskCreated yet",
  },
  RELAY_ARGS_NOT_UPLOADED: {
    status: 409,
    retryable: true,
    description: "the creator has not uploaded the task arguments yet",
  },
  RELAY_TASK_NOT_SUCCEEDED: {
    status: 409,
    retryable: true,
    description: "the relay has not seen this task's TaskSuccess yet",
  },
  RELAY_RESULTS_NOT_UPLOADED: {
    status: 404,
    retryable: true,
    description: "the result node has not uploaded the images yet",
  },
  RELAY_RESULTS_ALREADY_UPLOADED: {
    status: 409,
    retryable: false,
    description: "the images of this task are already stored",
  },
  RELAY_TASK_ENDED: {
    status: 410,
    retryable: false,
    description: "the task was aborted, or its data passed retention and was deleted",
  },
  RELAY_IMAGE_INDEX_OUT_OF_RANGE: { status: 404, retryable: false, description: "the task has fewer images" },
  RELAY_TASK_HASH_MISMATCH: {
    status: 422,
    retryable: false,
    description: "keccak256(task_args) differs from the on-chain task hash",
  },
  RELAY_INVALID_TASK_ARGS: {
    status: 422,
    retryable: false,
    description: "the task arguments fail the schema (every violation listed)",
  },
  RELAY_NOT_PNG: {
    status: 422,
    retryable: false,
    description:
      "an uploaded image is not a PNG the relay accepts: undecodable, a chunk other than IHDR, PLTE, tRNS, IDAT and IEND, data after IEND, or more image data than its header implies",
  },
  RELAY_IMAGE_SIZE_MISMATCH: {
    status: 422,
    retryable: false,
    description: "an uploaded image's width and height differ from the task's image_width × image_height",
  },
  RELAY_UPLOAD_IN_PROGRESS: {
    status: 409,
    retryable: true,
    description: "another upload of this task's images is still being received",
  },
  RELAY_IMAGE_COUNT_MISMATCH: {
    status: 422,
    retryable: false,
    description: "the number of images differs from num_images",
  },
  RELAY_IMAGE_HASH_MISMATCH: {
    status: 422,
    retryable: false,
    description: "an image's pHash differs from the result node's disclosed chunk",
  },
  RELAY_PAYLOAD_TOO_LARGE: {
    status: 413,
    retryable: false,
    description: "a body, an image or a task's images exceed the size limit",
  },
  RELAY_HEADERS_TOO_LARGE: {
    status: 431,
    retryable: false,
    description: "the request line and headers exceed 16 KiB",
  },
  RELAY_WEBHOOK_REFUSED: {
    status: 422,
    retryable: false,
    description:
      "the webhook URL is not http(s), resolves to a private, loopback or link-local address, or the account has too many webhooks",
  },
  RELAY_RATE_LIMITED: {
    status: 429,
    retryable: true,
    description: "too many requests from this address or signer: wait the Retry-After seconds",
  },
  RELAY_UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    retryable: false,
    description: "the body's content type is not the one the route takes",
  },
  RELAY_UNAVAILABLE: {
    status: 503,
    retryable: true,
    description: "the relay cannot serve now (database or chain follower down)",
  },
  RELAY_INTERNAL: { status: 500, retryable: true, description: "an unexpected relay fault (a bug): try again later" },
} as const satisfies Record<string, RelayErrorSpec>;

export type RelayErrorCode = keyof typeof RELAY_ERRORS;

/** The JSON body of every relay error. */
export interface RelayErrorBody {
  error: { code: RelayErrorCode; message: string; retryable: boolean; details?: unknown };
}

export const relayErrorBodySchema = {
  type: "object",
  additionalProperties: false,
  required: ["error"],
  properties: {
    error: {
      type: "object",
      additionalProperties: false,
      required: ["code", "message", "retryable"],
      properties: {
        code: { type: "string", enum: Object.keys(RELAY_ERRORS) },
        message: { type: "string" },
        retryable: { type: "boolean" },
        details: {},
      },
    },
  },
} as const;

/**
 * A relay error as clients and the server see it: a stable code, its status and retryability.
 *
 * @example
 * throw new RelayError("RELAY_TASK_NOT_ON_CHAIN", "task 7 not seen yet");
 */
export class RelayError extends Error {
  override readonly name = "RelayError";
  readonly status: number;
  readonly retryable: boolean;

  constructor(
    readonly code: RelayErrorCode,
    message: string = RELAY_ERRORS[code].description,
    readonly details?: unknown,
  ) {
    super(message);
    this.status = RELAY_ERRORS[code].status;
    this.retryable = RELAY_ERRORS[code].retryable;
  }

  toBody(): RelayErrorBody {
    const error: RelayErrorBody["error"] = { code: this.code, message: this.message, retryable: this.retryable };
    if (this.details !== undefined) error.details = this.details;
    return { error };
  }
}
