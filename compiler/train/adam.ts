// Adam (Kingma & Ba), one moment pair per parameter tensor, in float64.

export interface AdamOptions {
  readonly beta1?: number;
  readonly beta2?: number;
  readonly eps?: number;
}

export class Adam {
  readonly #m = new Map<string, Float64Array>();
  readonly #v = new Map<string, Float64Array>();
  readonly #b1: number;
  readonly #b2: number;
  readonly #eps: number;
  #t = 0;

  constructor(opts: AdamOptions = {}) {
    this.#b1 = opts.beta1 ?? 0.9;
    this.#b2 = opts.beta2 ?? 0.999;
    this.#eps = opts.eps ?? 1e-8;
  }

  /** params ← params − lr · m̂ / (√v̂ + eps), for the gradient of the loss `grads`. */
  step(params: Record<string, Float64Array>, grads: Record<string, Float64Array>, lr: number): void {
    this.#t++;
    const [b1, b2] = [this.#b1, this.#b2];
    const c1 = 1 - b1 ** this.#t, c2 = 1 - b2 ** this.#t;
    for (const [name, p] of Object.entries(params)) {
      const g = grads[name]!;
      const m = this.#m.get(name) ?? this.#m.set(name, new Float64Array(p.length)).get(name)!;
      const v = this.#v.get(name) ?? this.#v.set(name, new Float64Array(p.length)).get(name)!;
      for (let i = 0; i < p.length; i++) {
        m[i] = b1 * m[i]! + (1 - b1) * g[i]!;
        v[i] = b2 * v[i]! + (1 - b2) * g[i]! * g[i]!;
        p[i]! -= (lr * (m[i]! / c1)) / (Math.sqrt(v[i]! / c2) + this.#eps);
      }
    }
  }
}
