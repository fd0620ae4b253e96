import { z } from 'zod'

/** An inclusive range condition of an export filter. */
export const RangeSchema = z
  .object({ min: z.number().optional(), max: z.number().optional() })
  .strict()
  .refine((range) => range.min === undefined || range.max === undefined || range.min <= range.max, {
    message: 'min must not exceed max',
  })
  .meta({ description: 'Inclusive bounds; either may be left out' })

type Range = { readonly min?: number | undefined; readonly max?: number | undefined }

/**
 * A filter as one predicate over records of any kind: list conditions (the value is one of the
 * list) and range conditions (inclusive); lists become sets once. Every given condition must hold.
 */
export function fieldFilter<R>(
  filter: object,
  lists: readonly (keyof R & string)[],
  ranges: readonly (keyof R & string)[],
): (record: R) => boolean {
  const checks: ((record: R) => boolean)[] = []
  for (const field of lists) {
    const allowed = (filter as Record<string, unknown>)[field] as readonly string[] | undefined
    if (allowed) {
      const set = new Set<unknown>(allowed)
      checks.push((record) => set.has(record[field]))
    }
  }
  for (const field of ranges) {
    const range = (filter as Record<string, unknown>)[field] as Range | undefined
    if (range) {
      const min = range.min ?? Number.NEGATIVE_INFINITY
      const max = range.max ?? Number.POSITIVE_INFINITY
      checks.push((record) => (record[field] as number) >= min && (record[field] as number) <= max)
    }
  }
  return (record) => checks.every((check) => check(record))
}
