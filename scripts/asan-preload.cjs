// scripts/asan.sh loads the addon once in the main thread too, so it stays mapped after the
// worker threads that use it exit and LeakSanitizer can name its frames.
require(`${process.env.TENSORRT_NODE_SIM_DIR}/tensorrt_node.node`);
