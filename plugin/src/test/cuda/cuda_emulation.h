// Just enough of CUDA C to compile the project's kernels as C++ and run them on the CPU, for tests on
// machines without a GPU. Each block runs on one host thread; its CUDA threads are fibers (ucontext)
// that switch at __syncthreads, so block-shared memory and barriers behave as on a GPU, and a barrier
// not reached by every thread of a block is reported. Blocks run one after another, so __shared__
// arrays can be static. Warp-level primitives and atomics are not provided (the kernels do not use them).
#pragma once

#include <math.h>
#include <stdint.h>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __shared__ static

struct dim3 {
    unsigned x, y, z;
};

extern dim3 threadIdx;
extern dim3 blockIdx;
extern dim3 blockDim;
extern dim3 gridDim;

void emulated_syncthreads();
#define __syncthreads() emulated_syncthreads()

inline int min(int a, int b) {
    return a < b ? a : b;
}

inline int max(int a, int b) {
    return a > b ? a : b;
}
