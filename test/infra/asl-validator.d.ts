/** The part of asl-validator's API the tests use; the package ships JavaScript without types. */
declare module 'asl-validator' {
  interface AslValidationError {
    readonly 'Error code': string
    readonly Message: string
  }

  interface AslValidationResult {
    readonly isValid: boolean
    readonly errors: readonly AslValidationError[]
    errorsText(separator?: string): string
  }

  interface AslValidationOptions {
    /** Checks the syntax of JSONPath and JSONata expressions. Default true. */
    readonly checkPaths?: boolean
    /** Checks that a Task's Resource is an ARN. Default true. */
    readonly checkArn?: boolean
  }

  /** Validates an Amazon States Language definition. It adds default fields to the object it is given. */
  function validator(definition: unknown, options?: AslValidationOptions): AslValidationResult
  export = validator
}
