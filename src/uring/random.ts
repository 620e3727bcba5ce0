// SPDX-License-Identifier: GPL-2.0-only
// glibc's rand(), bit for bit: io_uring_zerocopy_tx -m 3 picks each
// request's mode with rand() % 3 and never seeds it, so the C program always
// sends the same sequence of modes. Reproducing the generator makes our -m 3
// send the same requests in the same order (test/unit/uring.test.ts checks
// the first values against gcc).
//
// The generator is glibc's TYPE_3 additive feedback generator: 31 words of
// state, r[i] = r[i-31] + r[i-3] (mod 2^32), output r >> 1; srand(seed)
// fills the state with 16807^i * seed mod (2^31 - 1) and throws away the
// first 310 outputs.

const DEG = 31;
const SEP = 3;

export class GlibcRandom {
  private readonly state = new Int32Array(DEG);
  private front = SEP;
  private rear = 0;

  /** srand(seed); rand() without srand() behaves as srand(1). */
  constructor(seed = 1) {
    const s = this.state;
    s[0] = seed === 0 ? 1 : seed | 0;
    for (let i = 1; i < DEG; i++) {
      // 16807 * s[i-1] mod (2^31 - 1), with Schrage's method as glibc computes it.
      const prev = s[i - 1];
      const hi = Math.trunc(prev / 127773);
      const lo = prev % 127773;
      let word = 16807 * lo - 2836 * hi;
      if (word < 0) word += 2147483647;
      s[i] = word;
    }
    for (let i = 0; i < DEG * 10; i++) this.next();
  }

  /** The next rand(): 0 .. 2^31 - 1. */
  next(): number {
    const s = this.state;
    const val = (s[this.front] + s[this.rear]) | 0;
    s[this.front] = val;
    if (++this.front >= DEG) {
      this.front = 0;
      this.rear++;
    } else if (++this.rear >= DEG) {
      this.rear = 0;
    }
    return val >>> 1;
  }
}
