/**
 * The side of the thumbnail the classifier sees. Honest nodes' images differ a little (GPU
 * nondeterminism, the synthetic engine's noise): differences the pHash tolerates, but that move
 * a classifier's scores on full-size images enough to split verdicts near the threshold — and a
 * split verdict gets an honest node slashed. Averaged down to 32×32, those differences vanish
 * (scores move by thousandths), while what the classifier is for stays visible.
 */
export const THUMBNAIL_SIDE = 32;

/**
 * Box-averages 8-bit RGB to `side`×`side`: each target pixel is the rounded mean of the source
 * pixels in its cell (cells split the image at `floor(i·size/side)`). Integer sums, one
 * division: the same bytes on every machine.
 */
export function thumbnail(rgb: Uint8Array, width: number, height: number, side = THUMBNAIL_SIDE): Uint8Array {
  const out = new Uint8Array(side * side * 3);
  for (let ty = 0; ty < side; ty++) {
    const y0 = Math.floor((ty * height) / side);
    const y1 = Math.max(y0 + 1, Math.floor(((ty + 1) * height) / side));
    for (let tx = 0; tx < side; tx++) {
      const x0 = Math.floor((tx * width) / side);
      const x1 = Math.max(x0 + 1, Math.floor(((tx + 1) * width) / side));
      let r = 0;
      let g = 0;
      let b = 0;
      for (let y = y0; y < y1; y++) {
        for (let x = x0, i = (y * width + x0) * 3; x < x1; x++, i += 3) {
          r += rgb[i] as number;
          g += rgb[i + 1] as number;
          b += rgb[i + 2] as number;
        }
      }
      const count = (y1 - y0) * (x1 - x0);
      const o = (ty * side + tx) * 3;
      out[o] = Math.round(r / count);
      out[o + 1] = Math.round(g / count);
      out[o + 2] = Math.round(b / count);
    }
  }
  return out;
}
