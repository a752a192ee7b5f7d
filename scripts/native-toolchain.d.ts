/** The nvcc of a CUDA toolkit, from PATH, CUDA_PATH or /usr/local/cuda; undefined without one. */
export function findNvcc(): string | undefined;
/** The cmake-js command line entry, or undefined when the dependency is missing. */
export function findCmakeJs(): string | undefined;
