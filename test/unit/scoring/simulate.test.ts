import { describe, expect, it } from 'vitest'
import {
  mulberry32,
  sampleBeta,
  sampleExponential,
  sampleGamma,
  simulateCustomers,
} from '../../../shared/scoring/simulate.ts'

const N = 200_000

const moments = (draw: () => number) => {
  let sum = 0
  let sumSq = 0
  for (let i = 0; i < N; i++) {
    const v = draw()
    sum += v
    sumSq += v * v
  }
  const mean = sum / N
  return { mean, variance: sumSq / N - mean * mean }
}

describe('seeded random numbers', () => {
  it('repeat exactly for the same seed', () => {
    const a = mulberry32(42)
    const b = mulberry32(42)
    expect(Array.from({ length: 5 }, a)).toEqual(Array.from({ length: 5 }, b))
  })

  it('differ between seeds', () => {
    expect(mulberry32(1)()).not.toBe(mulberry32(2)())
  })

  it('are uniform on [0, 1)', () => {
    const random = mulberry32(7)
    const { mean, variance } = moments(random)
    // Standard error of the mean: sqrt(1/12 / N) = 0.00065.
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.003)
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(0.002)
  })
})

describe('samplers', () => {
  it('draw gamma variates with mean shape/rate and variance shape/rate^2, also for shape < 1', () => {
    for (const [shape, rate] of [
      [0.243, 4.414],
      [3.74, 15.44],
    ] as const) {
      const random = mulberry32(11)
      const { mean, variance } = moments(() => sampleGamma(random, shape, rate))
      expect(mean / (shape / rate)).toBeCloseTo(1, 1)
      expect(variance / (shape / rate ** 2)).toBeCloseTo(1, 1)
    }
  })

  it('draw beta variates with mean a/(a+b)', () => {
    const random = mulberry32(12)
    const { mean } = moments(() => sampleBeta(random, 0.793, 2.426))
    expect(mean).toBeCloseTo(0.793 / (0.793 + 2.426), 2)
  })

  it('draw exponential variates with mean 1/rate', () => {
    const random = mulberry32(13)
    const { mean } = moments(() => sampleExponential(random, 4))
    expect(mean).toBeCloseTo(0.25, 2)
  })
})

describe('customer simulation', () => {
  const options = {
    customers: 1000,
    seed: 5,
    bgnbd: { r: 0.5, alpha: 6, a: 0.8, b: 2.5 },
    gammaGamma: { p: 6, q: 4, v: 15 },
    minT: 20,
    maxT: 40,
  }

  it('is reproducible from its seed', () => {
    expect(simulateCustomers(options)).toEqual(simulateCustomers(options))
  })

  it('produces consistent histories', () => {
    const customers = simulateCustomers(options)
    const consistent = customers.every(
      (c) =>
        Number.isInteger(c.x) &&
        c.T >= 20 &&
        c.T <= 40 &&
        c.tx >= 0 &&
        c.tx <= c.T &&
        (c.x > 0 ? c.zbar > 0 : c.tx === 0 && c.zbar === 0),
    )
    expect(consistent).toBe(true)
  })
})
