/** Item keys of the single table (see the README's storage section). */
export const keys = {
  customerLatest: (customerId: string) => ({ pk: `CUST#${customerId}`, sk: 'LATEST' }),
  customerHistory: (customerId: string, asOf: string) => ({ pk: `CUST#${customerId}`, sk: `RUN#${asOf}` }),
  prospectLatest: (prospectId: string) => ({ pk: `PROSPECT#${prospectId}`, sk: 'LATEST' }),
  upload: (uploadId: string) => ({ pk: `UPLOAD#${uploadId}`, sk: 'META' }),
  source: (sourceId: string) => ({ pk: `SOURCE#${sourceId}`, sk: 'META' }),
  run: (runId: string) => ({ pk: `RUN#${runId}`, sk: 'META' }),
  currentRun: () => ({ pk: 'RUN', sk: 'CURRENT' }),
} as const

export const KEY_ATTRIBUTES = ['pk', 'sk'] as const
