import { z } from 'zod'
import { CustomerIdSchema } from '../domain/transaction.ts'

/**
 * Profile and master data of customers and prospects.
 *
 * A profile is up to three firmographic fields, each optional: `industry` (industry or product
 * category), `sizeBand` (a size band such as "1-9" or "small") and `region`. Values are free text
 * of 1 to 64 characters; look-alike cells compare them case-insensitively with surrounding spaces
 * ignored. A prospect must have at least one of them; a customer may have none (it then counts
 * for the population only).
 */

export const PROFILE_FIELDS = ['industry', 'sizeBand', 'region'] as const
export type ProfileField = (typeof PROFILE_FIELDS)[number]

export const ProfileValueSchema = z.string().trim().min(1).max(64)

export const ProfileSchema = z.object({
  industry: ProfileValueSchema.optional(),
  sizeBand: ProfileValueSchema.optional(),
  region: ProfileValueSchema.optional(),
})
export type Profile = z.infer<typeof ProfileSchema>

/** Prospect ids follow the customer id rule, so they are safe in keys and URLs. */
export const ProspectIdSchema = CustomerIdSchema

/** One row of the customer master file, as stored in the curated area. */
export const CustomerMasterRowSchema = z.object({
  customerId: CustomerIdSchema,
  ...ProfileSchema.shape,
  /** Day the customer was acquired. */
  acquisitionDate: z.iso.date().optional(),
  /** What acquiring the customer cost, in the account currency. */
  acquisitionCost: z.number().finite().nonnegative().optional(),
})
export type CustomerMasterRow = z.infer<typeof CustomerMasterRowSchema>

const count = z.number().int().nonnegative()

/** Engagement signals of a prospect; every one is optional, an absent count counts as 0. */
export const EngagementSchema = z.object({
  visits30d: count.optional(),
  /** Visits in the last 90 days, the last 30 included (so at least visits30d). */
  visits90d: count.optional(),
  inquiries30d: count.optional(),
  inquiries90d: count.optional(),
  quoteRequested: z.boolean().optional(),
  meetingHeld: z.boolean().optional(),
  /** Day of the last contact with the prospect (any channel). */
  lastContactDate: z.iso.date().optional(),
})
export type Engagement = z.infer<typeof EngagementSchema>

/** One row of the prospects file, as stored in the curated area. */
export const ProspectRowSchema = z
  .object({
    prospectId: ProspectIdSchema,
    ...ProfileSchema.shape,
    ...EngagementSchema.shape,
    /** Set once the prospect became a customer: the customer id it became. */
    convertedCustomerId: CustomerIdSchema.optional(),
  })
  .refine((row) => PROFILE_FIELDS.some((field) => row[field] !== undefined), {
    message: 'at least one of industry, size_band and region is required',
    path: ['industry'],
  })
  .refine((row) => (row.visits90d ?? row.visits30d ?? 0) >= (row.visits30d ?? 0), {
    message: 'visits_90d counts the last 90 days, so it cannot be below visits_30d',
    path: ['visits90d'],
  })
  .refine((row) => (row.inquiries90d ?? row.inquiries30d ?? 0) >= (row.inquiries30d ?? 0), {
    message: 'inquiries_90d counts the last 90 days, so it cannot be below inquiries_30d',
    path: ['inquiries90d'],
  })
export type ProspectRow = z.infer<typeof ProspectRowSchema>

/** The key a profile value is compared by. */
export const profileKey = (value: string): string => value.trim().toLowerCase()
