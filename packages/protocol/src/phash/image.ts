/**
 * Decoded images in the shapes Go's image/png produces, because the hash's resampling and
 * gray conversion depend on them (spec §8). Multi-byte samples are big-endian, as in Go.
 * One addition: `rgb` is Go's opaque `RGBA` without its constant alpha byte (8-bit truecolor,
 * the usual Stable Diffusion output), which hashes identically and is a quarter smaller.
 */
export type ImageKind = "gray" | "gray16" | "rgb" | "rgba" | "rgba64" | "nrgba" | "nrgba64" | "paletted";

export interface DecodedImage {
  kind: ImageKind;
  width: number;
  height: number;
  /** Row-major samples: 1 (gray, paletted index), 2 (gray16), 4 (rgba, nrgba) or 8 (rgba64, nrgba64) bytes a pixel. */
  pix: Uint8Array;
  /**
   * Paletted only: per index, the colour's 16-bit alpha-premultiplied r, g, b, a (what Go's
   * `Color.RGBA()` returns). Indexes past the PLTE read as opaque black, as in Go.
   */
  palette?: Uint32Array;
}

/** Bytes per pixel of each kind. */
export const BYTES_PER_PIXEL: Record<ImageKind, number> = {
  gray: 1,
  gray16: 2,
  rgb: 3,
  rgba: 4,
  rgba64: 8,
  nrgba: 4,
  nrgba64: 8,
  paletted: 1,
};

/**
 * Go's `At(x, y).RGBA()`: 16-bit, alpha-premultiplied r, g, b (alpha is not needed by the hash).
 * Writes into `out[0..3)`.
 */
export function rgb16At(image: DecodedImage, x: number, y: number, out: Uint32Array): void {
  const { pix } = image;
  const i = (y * image.width + x) * BYTES_PER_PIXEL[image.kind];
  switch (image.kind) {
    case "gray": {
      const v = (pix[i] as number) * 0x101;
      out[0] = v;
      out[1] = v;
      out[2] = v;
      return;
    }
    case "gray16": {
      const v = ((pix[i] as number) << 8) | (pix[i + 1] as number);
      out[0] = v;
      out[1] = v;
      out[2] = v;
      return;
    }
    case "rgb":
    case "rgba":
      out[0] = (pix[i] as number) * 0x101;
      out[1] = (pix[i + 1] as number) * 0x101;
      out[2] = (pix[i + 2] as number) * 0x101;
      return;
    case "nrgba": {
      const a = pix[i + 3] as number;
      out[0] = Math.trunc(((pix[i] as number) * 0x101 * a) / 0xff);
      out[1] = Math.trunc(((pix[i + 1] as number) * 0x101 * a) / 0xff);
      out[2] = Math.trunc(((pix[i + 2] as number) * 0x101 * a) / 0xff);
      return;
    }
    case "rgba64":
      out[0] = ((pix[i] as number) << 8) | (pix[i + 1] as number);
      out[1] = ((pix[i + 2] as number) << 8) | (pix[i + 3] as number);
      out[2] = ((pix[i + 4] as number) << 8) | (pix[i + 5] as number);
      return;
    case "nrgba64": {
      const a = ((pix[i + 6] as number) << 8) | (pix[i + 7] as number);
      for (let c = 0; c < 3; c++) {
        const v = ((pix[i + 2 * c] as number) << 8) | (pix[i + 2 * c + 1] as number);
        out[c] = Math.trunc((v * a) / 0xffff);
      }
      return;
    }
    case "paletted": {
      const p = (pix[i] as number) * 4;
      const palette = image.palette as Uint32Array;
      out[0] = palette[p] as number;
      out[1] = palette[p + 1] as number;
      out[2] = palette[p + 2] as number;
      return;
    }
  }
}

/**
 * The image as 8-bit RGB triples, row-major, alpha premultiplied as for the hash: what a
 * classifier (the node's safety checker) reads. 8-bit RGB is returned as it is stored.
 */
export function rgb8(image: DecodedImage): Uint8Array {
  if (image.kind === "rgb") return image.pix;
  const out = new Uint8Array(image.width * image.height * 3);
  const pixel = new Uint32Array(3);
  for (let y = 0, o = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++, o += 3) {
      rgb16At(image, x, y, pixel);
      out[o] = (pixel[0] as number) >> 8;
      out[o + 1] = (pixel[1] as number) >> 8;
      out[o + 2] = (pixel[2] as number) >> 8;
    }
  }
  return out;
}
