/**
 * Seeded simulation of BG/NBD purchasing with Gamma-Gamma spend, for checking that the fits
 * recover known parameters. Deterministic for a given seed.
 */
import type { BgNbdParams } from './bgnbd.ts'
import type { GammaGammaParams } from './gamma-gamma.ts'

/** Uniform random numbers in [0, 1). */
export type Random = () => number

/** mulberry32: a small, fast 32-bit generator, good enough for simulation (not for secrets). */
export function mulberry32(seed: number): Random {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) | 0
    let t = Math.imul(state ^ (state >>> 15), 1 | state)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export function sampleExponential(random: Random, rate: number): number {
  return -Math.log1p(-random()) / rate
}

export function sampleStandardNormal(random: Random): number {
  // Box-Muller; 1 - u keeps the logarithm's argument in (0, 1].
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())
}

/** Gamma(shape, rate) by Marsaglia & Tsang (2000), boosted for shape < 1. */
export function sampleGamma(random: Random, shape: number, rate: number): number {
  if (shape < 1) {
    const boosted = sampleGamma(random, shape + 1, rate)
    return boosted * (1 - random()) ** (1 / shape)
  }
  const d = shape - 1 / 3
  const c = 1 / Math.sqrt(9 * d)
  for (;;) {
    const z = sampleStandardNormal(random)
    const v0 = 1 + c * z
    if (v0 <= 0) continue
    const v = v0 * v0 * v0
    const u = 1 - random()
    if (Math.log(u) < 0.5 * z * z + d - d * v + d * Math.log(v)) return (d * v) / rate
  }
}

export function sampleBeta(random: Random, a: number, b: number): number {
  const x = sampleGamma(random, a, 1)
  const y = sampleGamma(random, b, 1)
  return x / (x + y)
}

export type SimulationOptions = {
  readonly customers: number
  readonly seed: number
  readonly bgnbd: BgNbdParams
  readonly gammaGamma: GammaGammaParams
  /** Each customer's observation length T is uniform in [minT, maxT]. */
  readonly minT: number
  readonly maxT: number
}

export type SimulatedCustomer = {
  readonly x: number
  readonly tx: number
  readonly T: number
  /** Mean value of the repeat occasions; 0 where x = 0. */
  readonly zbar: number
  /** The customer's latent purchase rate, dropout probability and whether still active at T. */
  readonly lambda: number
  readonly dropout: number
  readonly alive: boolean
}

/**
 * Customers acquired at time 0 (their first purchase). Purchases then follow a Poisson process
 * with rate lambda ~ Gamma(r, alpha); after each repeat purchase the customer drops out with
 * probability p ~ Beta(a, b). Each repeat purchase's value is Gamma(p_s, nu) with
 * nu ~ Gamma(q, v) per customer.
 */
export function simulateCustomers(options: SimulationOptions): SimulatedCustomer[] {
  const { customers, seed, minT, maxT } = options
  const { r, alpha, a, b } = options.bgnbd
  const { p: shape, q, v } = options.gammaGamma
  const random = mulberry32(seed)
  const result: SimulatedCustomer[] = []
  for (let i = 0; i < customers; i++) {
    const T = minT + (maxT - minT) * random()
    const lambda = sampleGamma(random, r, alpha)
    const dropout = sampleBeta(random, a, b)
    const nu = sampleGamma(random, q, v)
    let x = 0
    let tx = 0
    let spend = 0
    let alive = true
    for (;;) {
      const next = tx + sampleExponential(random, lambda)
      if (next > T) break
      x++
      tx = next
      spend += sampleGamma(random, shape, nu)
      if (random() < dropout) {
        alive = false
        break
      }
    }
    result.push({ x, tx, T, zbar: x > 0 ? spend / x : 0, lambda, dropout, alive })
  }
  return result
}
