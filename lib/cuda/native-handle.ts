/**
 * Package-internal access from a public CUDA wrapper to its native object, for other native
 * layers (the TensorRT runtime passes streams and buffers to C++). Not exported from index.ts.
 */
export const nativeHandle: unique symbol = Symbol('tensorrt-node.native');
