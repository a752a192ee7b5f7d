// tensorrt-node TensorRT simulator: version of the TensorRT API these declarations stand for.
// Written for this project; it declares the same macro names as TensorRT so sources that test
// NV_TENSORRT_MAJOR compile the same way against the simulator and against real headers.
#ifndef NV_INFER_VERSION_H
#define NV_INFER_VERSION_H

// The simulator models TensorRT 11.1 (strongly typed networks only, no weak-typing flags).
#define NV_TENSORRT_MAJOR 11
#define NV_TENSORRT_MINOR 1
#define NV_TENSORRT_PATCH 0
#define NV_TENSORRT_BUILD 0

// Marks these headers as the simulator's, for code that must know (tests, diagnostics).
#define TENSORRT_NODE_SIMULATOR 1

#endif
