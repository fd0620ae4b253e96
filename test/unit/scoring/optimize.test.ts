import { describe, expect, it } from 'vitest'
import { minimizeBfgs, minimizeFromStarts, type Objective } from '../../../shared/scoring/optimize.ts'

const rosenbrock: Objective = ([x = 0, y = 0]) => ({
  value: (1 - x) ** 2 + 100 * (y - x * x) ** 2,
  gradient: [-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)],
})

/** Two basins: a shallow one near x = 1 and a deeper one near x = -1. */
const doubleWell: Objective = ([x = 0]) => ({
  value: (x * x - 1) ** 2 + 0.3 * x,
  gradient: [4 * x * (x * x - 1) + 0.3],
})

describe('BFGS', () => {
  it('finds the minimum of the Rosenbrock function from the classic start', () => {
    const result = minimizeBfgs(rosenbrock, [-1.2, 1])
    expect(result.converged).toBe(true)
    expect(result.point[0]).toBeCloseTo(1, 5)
    expect(result.point[1]).toBeCloseTo(1, 5)
  })

  it('reports the iterations and the gradient norm at the solution', () => {
    const result = minimizeBfgs(rosenbrock, [-1.2, 1])
    expect(result.iterations).toBeGreaterThan(10)
    expect(result.iterations).toBeLessThan(100)
    expect(result.gradientNorm).toBeLessThan(1e-5)
  })

  it('reports no convergence when the iteration budget runs out', () => {
    const result = minimizeBfgs(rosenbrock, [-1.2, 1], { maxIterations: 3 })
    expect(result).toMatchObject({ converged: false, reason: 'max-iterations', iterations: 3 })
  })

  it('reports an infeasible start instead of optimising from it', () => {
    const result = minimizeBfgs(() => ({ value: Number.NaN, gradient: [0] }), [0])
    expect(result).toMatchObject({ converged: false, reason: 'infeasible-start' })
  })

  it('backs off from steps into an infeasible region', () => {
    // log-barrier at x = 0: values left of it are infeasible.
    const barrier: Objective = ([x = 0]) =>
      x <= 0
        ? { value: Number.POSITIVE_INFINITY, gradient: [0] }
        : { value: x - Math.log(x), gradient: [1 - 1 / x] }
    const result = minimizeBfgs(barrier, [3])
    expect(result.converged).toBe(true)
    expect(result.point[0]).toBeCloseTo(1, 5)
  })
})

describe('multi-start', () => {
  it('keeps the deeper of two basins', () => {
    const { best } = minimizeFromStarts(doubleWell, [[2], [-2]])
    expect(best.point[0]).toBeLessThan(0)
    expect(best.converged).toBe(true)
  })

  it('polishes the best start on the full objective after screening on a stand-in', () => {
    const shifted: Objective = ([x = 0]) => ({ value: (x - 0.1) ** 2, gradient: [2 * (x - 0.1)] })
    const exact: Objective = ([x = 0]) => ({ value: x * x, gradient: [2 * x] })
    const { best } = minimizeFromStarts(exact, [[5]], { screeningObjective: shifted })
    expect(best.point[0]).toBeCloseTo(0, 8)
  })
})
