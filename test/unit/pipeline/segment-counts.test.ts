import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  addCoded,
  addRecord,
  type CountedFigures,
  DIMENSIONS,
  emptyCounts,
  type GroupFigures,
  groupOf,
} from '../../../shared/pipeline/segment-counts.ts'

const record = fc.record({
  netValue: fc.double({ min: -1e6, max: 1e6, noNaN: true }),
  tier: fc.constantFrom('key', 'general', 'secondary'),
  quadrant: fc.constantFrom('EI', 'EII', 'EIII', 'EIV'),
  rfmSegment: fc.constantFrom('Champions', 'Lost', 'New', 'At risk'),
  pattern: fc.constantFrom('stable', 'irregular', 'insufficient history'),
  decision: fc.constantFrom('invest', 'stop'),
})

describe('segment counts', () => {
  it('counts records given by codes exactly as record by record, in several blocks', () => {
    fc.assert(
      fc.property(fc.array(fc.array(record, { maxLength: 30 }), { maxLength: 6 }), (blocks) => {
        const expected = emptyCounts()
        for (const block of blocks) for (const r of block) addRecord(expected, r as CountedFigures)
        // Codes as a scoring thread numbers names: in the order first met, across blocks.
        const actual = emptyCounts()
        const names = DIMENSIONS.map((): string[] => [])
        const groups = DIMENSIONS.map((): GroupFigures[] => [])
        for (const block of blocks) {
          const netValue = Float64Array.from(block, (r) => r.netValue)
          const codes = new Uint16Array(block.length * DIMENSIONS.length)
          block.forEach((r, k) => {
            DIMENSIONS.forEach((dimension, d) => {
              const known = names[d] as string[]
              let code = known.indexOf(r[dimension])
              if (code < 0) {
                code = known.push(r[dimension]) - 1
                ;(groups[d] as GroupFigures[]).push(groupOf(actual, dimension, r[dimension]))
              }
              codes[k * DIMENSIONS.length + d] = code
            })
          })
          addCoded(actual, netValue, codes, block.length, groups)
        }
        // The same sums to the last bit: the same additions in the same order.
        expect(actual).toEqual(expected)
      }),
      { numRuns: 300 },
    )
  })
})
