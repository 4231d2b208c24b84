/**
 * The 2-D DCT-II of goimagehash (Byeong Gi Lee's recursive algorithm, unscaled), over a 64×64
 * grayscale image, keeping the top-left 8×8 coefficients.
 */

/**
 * `2·cos((i + 0.5)·π / n)` for each half-length of the recursion, exactly as Go's `math.Cos`
 * computes them on amd64. JavaScript's `Math.cos` differs in the last bit for 20 of these
 * entries, which can flip a hash bit, so the values are written out rather than computed.
 */
const COS_TABLES: Record<number, Float64Array> = {
  64: new Float64Array([
    1.9993976373924083, 1.9945809133573804, 1.9849590691974202, 1.9705552847778824, 1.9514042600770571,
    1.9275521315908797, 1.8990563611860733, 1.8659855976694777, 1.8284195114070614, 1.7864486023910306,
    1.7401739822174227, 1.6897071304994142, 1.6351696263031674, 1.5766928552532127, 1.5144176930129691,
    1.448494165902934, 1.3790810894741339, 1.3063456859075537, 1.2304631811612539, 1.151616382835691,
    1.0699952397741948, 0.9857963844595683, 0.8992226593092132, 0.8104826280099796, 0.7197900730699766,
    0.627363480797783, 0.5334255149497968, 0.43820248031373954, 0.3419237775206027, 0.24482135039843256,
    0.1471291271993349, 0.049082457045824535,
  ]),
  32: new Float64Array([
    1.9975909124103448, 1.978353019929562, 1.9400625063890882, 1.8830881303660416, 1.8079785862468867,
    1.7154572200005442, 1.6064150629612899, 1.4819022507099182, 1.3431179096940369, 1.191398608984867,
    1.0282054883864435, 0.8551101868605644, 0.6737797067844401, 0.48596035980652796, 0.2934609489107235,
    0.09813534865483627,
  ]),
  16: new Float64Array([
    1.9903694533443936, 1.9138806714644176, 1.76384252869671, 1.546020906725474, 1.2687865683272912, 0.9427934736519956,
    0.5805693545089246, 0.19603428065912154,
  ]),
  8: new Float64Array([1.9615705608064609, 1.6629392246050907, 1.1111404660392046, 0.3901806440322566]),
  4: new Float64Array([1.8477590650225735, 0.7653668647301797]),
  2: new Float64Array([Math.SQRT2]),
};

/** In-place forward DCT of `input[0..n)`, using `temp[0..n)` as scratch (they swap roles on recursion). */
function forward(input: Float64Array, inOffset: number, temp: Float64Array, tempOffset: number, n: number): void {
  if (n === 1) return;
  const half = n / 2;
  const table = COS_TABLES[n] as Float64Array;
  for (let i = 0; i < half; i++) {
    const x = input[inOffset + i] as number;
    const y = input[inOffset + n - 1 - i] as number;
    temp[tempOffset + i] = x + y;
    temp[tempOffset + i + half] = (x - y) / (table[i] as number);
  }
  forward(temp, tempOffset, input, inOffset, half);
  forward(temp, tempOffset + half, input, inOffset, half);
  for (let i = 0; i < half - 1; i++) {
    input[inOffset + i * 2] = temp[tempOffset + i] as number;
    input[inOffset + i * 2 + 1] = (temp[tempOffset + i + half] as number) + (temp[tempOffset + i + half + 1] as number);
  }
  input[inOffset + n - 2] = temp[tempOffset + half - 1] as number;
  input[inOffset + n - 1] = temp[tempOffset + n - 1] as number;
}

/**
 * DCT over rows, then over the first 8 columns; returns the 8×8 low frequencies row-major
 * (index 8·row + column). `pixels` (64×64, row-major) is overwritten.
 */
export function dctLowFrequencies(pixels: Float64Array): Float64Array {
  if (pixels.length !== 4096) throw new RangeError("the DCT takes 64×64 pixels");
  const temp = new Float64Array(64);
  for (let row = 0; row < 64; row++) forward(pixels, row * 64, temp, 0, 64);
  const column = new Float64Array(64);
  const low = new Float64Array(64);
  for (let i = 0; i < 8; i++) {
    for (let j = 0; j < 64; j++) column[j] = pixels[64 * j + i] as number;
    forward(column, 0, temp, 0, 64);
    for (let j = 0; j < 8; j++) low[8 * j + i] = column[j] as number;
  }
  return low;
}
