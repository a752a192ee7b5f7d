/**
 * TensorRT's log, forwarded to JS. Every failing TensorRT operation already attaches the lines it
 * caused to the error it throws (`error.details`); this hook is for seeing everything else
 * (warnings, build info). Lines arrive asynchronously and never block TensorRT.
 */
import { requireBinding } from '../binding.js';
import { ErrorCode, TensorRTNodeError, invalidArgument } from '../errors.js';

export type TensorRTLogSeverity = 'internal-error' | 'error' | 'warning' | 'info' | 'verbose';

const LEVELS: readonly TensorRTLogSeverity[] = ['internal-error', 'error', 'warning', 'info', 'verbose'];

/** Sends TensorRT log lines of `level` and more severe to `callback`; `null` stops forwarding. */
export function setTensorRTLogger(
  callback: ((severity: TensorRTLogSeverity, message: string) => void) | null,
  level: TensorRTLogSeverity = 'warning',
): void {
  if (callback !== null && typeof callback !== 'function') throw invalidArgument('a function or null', 'callback', callback);
  if (!LEVELS.includes(level)) throw invalidArgument(`one of ${LEVELS.join(', ')}`, 'level', level);
  const binding = requireBinding();
  if (binding.setTensorRTLogger === undefined) {
    throw new TensorRTNodeError(ErrorCode.BACKEND_UNAVAILABLE, 'The native addon was built without TensorRT headers');
  }
  binding.setTensorRTLogger(callback as ((severity: string, message: string) => void) | null, level);
}
