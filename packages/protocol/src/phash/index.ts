export { PngError, type PngErrorCode } from "./errors.ts";
export { type DecodedImage, type ImageKind, rgb8 } from "./image.ts";
export { phashImage, phashPng, phashPngHex } from "./phash.ts";
export { decodePng, ESSENTIAL_CHUNKS, MAX_RESULT_PIXELS, type PngExpectation, stripPng } from "./png.ts";
