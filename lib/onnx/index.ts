/** lib/onnx: lossless ONNX ModelProto read/write, tensor data access, graph helpers and a model builder. */
export * from './types.js';
export * from './model-io.js';
export * from './tensor-data.js';
export * from './external-data.js';
export * from './graph.js';
export * from './builder.js';
export * from './float16.js';
