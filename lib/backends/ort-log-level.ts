/**
 * ONNX Runtime's log levels, apart from lib/backends/ort.ts so that the public types that name them
 * (SessionOptions.logLevel) do not pull in onnxruntime-node's types, which an install may lack.
 */

/** Most verbose first, in ONNX Runtime's own names (its `env.logLevel`). */
export const ORT_LOG_LEVELS = ['verbose', 'info', 'warning', 'error', 'fatal'] as const;
export type OrtLogLevel = (typeof ORT_LOG_LEVELS)[number];

/** The session option `logSeverityLevel` (0 verbose .. 4 fatal) for a level name. */
export function ortLogSeverity(level: OrtLogLevel): 0 | 1 | 2 | 3 | 4 {
  return ORT_LOG_LEVELS.indexOf(level) as 0 | 1 | 2 | 3 | 4;
}
