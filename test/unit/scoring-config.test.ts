import { describe, expect, it } from 'vitest'
import {
  DEFAULT_SCORING_CONFIG,
  InvalidConfigError,
  parseScoringConfigJson,
} from '../../shared/scoring-config.ts'

describe('scoring configuration', () => {
  it('fills every key with its documented default', () => {
    expect(DEFAULT_SCORING_CONFIG).toMatchObject({
      timeUnit: 'days',
      horizonDays: 365,
      marginRate: 1,
      tiers: { keyShare: 0.2, generalShare: 0.3 },
      rfm: { bins: 5 },
    })
  })

  it('rejects a bad configuration with every problem listed and the source named', () => {
    const text = JSON.stringify({
      timeUnit: 'months',
      marginRate: 2,
      tiers: { keyShare: 0.9, generalShare: 0.5 },
      typo: 1,
    })
    try {
      parseScoringConfigJson(text, 'config/scoring.json')
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidConfigError)
      const { problems, message } = error as InvalidConfigError
      expect(message).toContain('config/scoring.json')
      expect(problems).toHaveLength(4)
      expect(problems.join('\n')).toMatch(/timeUnit/)
      expect(problems.join('\n')).toMatch(/marginRate/)
      expect(problems.join('\n')).toMatch(/keyShare \+ generalShare/)
      expect(problems.join('\n')).toMatch(/typo/)
    }
  })

  it('names the file when the JSON itself is broken', () => {
    expect(() => parseScoringConfigJson('{', 'my.json')).toThrow(/my\.json: .*not valid JSON/)
  })
})
