/**
 * Numbers the distinct values 0, 1, 2, ... in order of first appearance, as a Map keyed by them would
 * (-0 is +0, NaN is one value), with small whole numbers (days, counts) looked up in an array.
 */
export class ValueIndex {
  readonly values: number[] = []
  private readonly small = new Int32Array(1 << 16)
  private readonly other = new Map<number, number>()

  of(value: number): number {
    if (value >= 0 && value < 1 << 16 && Number.isInteger(value)) {
      const known = this.small[value] as number
      if (known > 0) return known - 1
      this.small[value] = this.values.length + 1
    } else {
      const known = this.other.get(value)
      if (known !== undefined) return known
      this.other.set(value, this.values.length)
    }
    // A Map key -0 reads back as +0.
    this.values.push(value === 0 ? 0 : value)
    return this.values.length - 1
  }
}
