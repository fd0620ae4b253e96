import { z } from 'zod'

/**
 * Customer ids: 1 to 128 characters of letters, digits and `. _ - : @`, starting with a letter
 * or digit. Wide enough for CRM keys and e-mail-like ids, narrow enough to be safe in S3 keys,
 * DynamoDB keys and URLs without escaping.
 */
export const CUSTOMER_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/

export const CustomerIdSchema = z
  .string()
  .regex(
    CUSTOMER_ID_PATTERN,
    'must be 1-128 characters of letters, digits and . _ - : @, starting with a letter or digit',
  )

/** A business day, YYYY-MM-DD, in the configured business time zone. */
export const BusinessDaySchema = z.iso.date()

/** One validated transaction row, as stored in the curated area and fed to scoring. */
export const TransactionSchema = z.object({
  customerId: CustomerIdSchema,
  /** Business day of the transaction (date-times are converted to the business time zone first). */
  date: BusinessDaySchema,
  /** Decimal amount in the account currency; negative means a refund. */
  amount: z.number().finite(),
  /** Optional source id; a repeated id is kept once across all uploads. */
  transactionId: z.string().min(1).max(256).optional(),
  /** Optional gross margin amount of the row, same currency as amount. */
  margin: z.number().finite().optional(),
})

export type Transaction = z.infer<typeof TransactionSchema>
