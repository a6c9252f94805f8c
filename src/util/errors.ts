// One error type for every failure pelt reports to a user: a stable code to test against and a
// message that names the thing at fault (op, tensor, file, field, line).

export type PeltErrorCode =
  | 'shape' // shapes do not fit an op
  | 'dtype' // a buffer of the wrong element type
  | 'non-finite' // NaN or Inf found by the opt-in check
  | 'no-backward' // an op without a gradient rule was recorded on a tape
  | 'autograd' // misuse of backward (non-scalar root, no graph, ...)
  | 'native' // the native backend is missing or failed to load
  | 'safetensors' // a malformed safetensors file
  | 'config' // an invalid or unsupported config
  | 'checkpoint' // missing / unexpected / ill-shaped weights
  | 'tokenizer'
  | 'hub' // download or cache problems
  | 'data' // bad training data
  | 'usage'; // bad command-line or API use

export class PeltError extends Error {
  readonly code: PeltErrorCode;
  constructor(code: PeltErrorCode, message: string) {
    super(message);
    this.name = 'PeltError';
    this.code = code;
  }
}

export function fail(code: PeltErrorCode, message: string): never {
  throw new PeltError(code, message);
}
