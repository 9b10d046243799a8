// NeoGAT's GPU kernels, float32. Each kernel computes what an operation of the CPU reference backend
// (dev.neogat.nn.cpu) computes; the Java side (dev.neogat.gpu.GpuBackend) launches them on one stream.
//
// Rules that keep results reproducible and the kernels checkable on a CPU (GpuKernelEmulator):
// - no atomics: every output element has one owner thread, sums over many rows are written as
//   per-chunk partials and added in chunk order by reduce_partials;
// - dropout masks are recomputed from (key, element index) with the same counter-based hash as
//   dev.neogat.util.CounterRng, so CPU and GPU drop the same elements;
// - __syncthreads is reached by all threads of a block (no early return before it).
//
// Built to PTX by compile-ptx.sh (nvcc -ptx -arch=compute_75); the PTX is committed under
// src/main/resources/dev/neogat/gpu/ and loaded with cuModuleLoadData.

typedef unsigned long long u64;

// ---- counter-based dropout (CounterRng, DropoutMask) ------------------------------------------------

__device__ __forceinline__ unsigned lowbias32(unsigned x) {
    x ^= x >> 16;
    x *= 0x7feb352dU;
    x ^= x >> 15;
    x *= 0x846ca68bU;
    x ^= x >> 16;
    return x;
}

__device__ __forceinline__ unsigned counter_bits(u64 key, unsigned index) {
    unsigned x = lowbias32(index ^ (unsigned) key);
    return lowbias32(x + (unsigned) (key >> 32));
}

// scale for a kept element, 0 for a dropped one; threshold 0 means no dropout (factor 1).
__device__ __forceinline__ float keep_factor(u64 key, unsigned threshold, float scale, unsigned index) {
    if (threshold == 0) {
        return 1.0f;
    }
    return (counter_bits(key, index) >> 8) >= threshold ? scale : 0.0f;
}

__device__ __forceinline__ float leaky_relu(float x, float slope) {
    return fmaxf(x, x * slope);
}

__device__ __forceinline__ float leaky_relu_slope(float x, float slope) {
    return x > 0.0f ? 1.0f : slope;
}

__device__ __forceinline__ int global_index() {
    return blockIdx.x * blockDim.x + threadIdx.x;
}

// ---- element-wise ------------------------------------------------------------------------------------

extern "C" __global__ void add_f32(float* x, const float* y, int n) {
    int i = global_index();
    if (i < n) {
        x[i] += y[i];
    }
}

extern "C" __global__ void dropout_forward(const float* in, float* out, int n, u64 key, unsigned threshold,
                                           float scale) {
    int i = global_index();
    if (i < n) {
        out[i] = in[i] * keep_factor(key, threshold, scale, (unsigned) i);
    }
}

// dIn += dOut * keep
extern "C" __global__ void dropout_backward(const float* dOut, float* dIn, int n, u64 key, unsigned threshold,
                                            float scale) {
    int i = global_index();
    if (i < n) {
        dIn[i] += dOut[i] * keep_factor(key, threshold, scale, (unsigned) i);
    }
}

extern "C" __global__ void add_bias(float* x, const float* bias, int rows, int cols) {
    int i = global_index();
    if (i < rows * cols) {
        x[i] += bias[i % cols];
    }
}

extern "C" __global__ void elu_forward(const float* in, float* out, int n) {
    int i = global_index();
    if (i < n) {
        float v = in[i];
        out[i] = v > 0.0f ? v : expm1f(v);
    }
}

// x += scale * y (typed layers' weighted sum of relations, and its backward)
extern "C" __global__ void scaled_add_f32(float* x, float scale, const float* y, int n) {
    int i = global_index();
    if (i < n) {
        x[i] += scale * y[i];
    }
}

extern "C" __global__ void tanh_forward(const float* in, float* out, int n) {
    int i = global_index();
    if (i < n) {
        out[i] = tanhf(in[i]);
    }
}

// dIn = dOut * (1 - y^2) from y = tanh(x)
extern "C" __global__ void tanh_backward(const float* out, const float* dOut, float* dIn, int n) {
    int i = global_index();
    if (i < n) {
        dIn[i] = dOut[i] * (1.0f - out[i] * out[i]);
    }
}

// dIn = dOut * ELU'(x) from y = ELU(x): min(y + 1, 1)
extern "C" __global__ void elu_backward(const float* out, const float* dOut, float* dIn, int n) {
    int i = global_index();
    if (i < n) {
        dIn[i] = dOut[i] * fminf(out[i] + 1.0f, 1.0f);
    }
}

// Adam as PyTorch's (see AdamSettings): L2 decay added to the gradient, bias corrections precomputed.
extern "C" __global__ void adam_step(float* p, const float* g, float* m, float* v, int n, float beta1, float beta2,
                                     float decay, float epsilon, float stepSize, float correction2) {
    int i = global_index();
    if (i < n) {
        float grad = g[i] + decay * p[i];
        float mi = beta1 * m[i] + (1.0f - beta1) * grad;
        float vi = beta2 * v[i] + (1.0f - beta2) * grad * grad;
        m[i] = mi;
        v[i] = vi;
        float denominator = sqrtf(vi) / correction2 + epsilon;
        p[i] -= stepSize * (mi / denominator);
    }
}

// ---- fixed-order reductions over rows ----------------------------------------------------------------

// partials[chunk * cols + c] = sum of x[r, c] over the rows r of the chunk. Grid: (ceil(cols / block), chunks).
extern "C" __global__ void column_partials(const float* x, int rows, int cols, int rowsPerChunk, float* partials) {
    int c = global_index();
    int chunk = blockIdx.y;
    if (c < cols) {
        int first = chunk * rowsPerChunk;
        int last = min(rows, first + rowsPerChunk);
        float sum = 0.0f;
        for (int r = first; r < last; r++) {
            sum += x[r * cols + c];
        }
        partials[chunk * cols + c] = sum;
    }
}

// out[(e / width) * outRowStride + outColumn + e % width] = sum over chunks (in order) of
// partials[chunk * partialStride + e], for e in [0, count).
extern "C" __global__ void reduce_partials(const float* partials, int chunks, int partialStride, int count, int width,
                                           float* out, int outRowStride, int outColumn) {
    int e = global_index();
    if (e < count) {
        float sum = 0.0f;
        for (int chunk = 0; chunk < chunks; chunk++) {
            sum += partials[chunk * partialStride + e];
        }
        out[(e / width) * outRowStride + outColumn + e % width] = sum;
    }
}

// Per-block sums (tree in shared memory, fixed order) of float values as doubles, and of ints.
#define REDUCE_THREADS 256

// blockSums[block] = the sum of the block's values, added as a tree in shared memory (a fixed order).
template <typename Value, typename Sum>
__device__ void block_sum(const Value* values, int n, Sum* sums, Sum* blockSums) {
    int i = global_index();
    sums[threadIdx.x] = i < n ? (Sum) values[i] : (Sum) 0;
    __syncthreads();
    for (int half = REDUCE_THREADS / 2; half > 0; half >>= 1) {
        if (threadIdx.x < half) {
            sums[threadIdx.x] += sums[threadIdx.x + half];
        }
        __syncthreads();
    }
    if (threadIdx.x == 0) {
        blockSums[blockIdx.x] = sums[0];
    }
}

extern "C" __global__ void block_sums_f32(const float* values, int n, double* blockSums) {
    __shared__ double sums[REDUCE_THREADS];
    block_sum(values, n, sums, blockSums);
}

extern "C" __global__ void block_sums_i32(const int* values, int n, long long* blockSums) {
    __shared__ long long sums[REDUCE_THREADS];
    block_sum(values, n, sums, blockSums);
}

// blockSums[block] = the sum of the block's products x[i] * y[i] as doubles, added as a tree (a fixed order).
extern "C" __global__ void block_dots_f32(const float* x, const float* y, int n, double* blockSums) {
    __shared__ double sums[REDUCE_THREADS];
    int i = global_index();
    sums[threadIdx.x] = i < n ? (double) x[i] * (double) y[i] : 0.0;
    __syncthreads();
    for (int half = REDUCE_THREADS / 2; half > 0; half >>= 1) {
        if (threadIdx.x < half) {
            sums[threadIdx.x] += sums[threadIdx.x + half];
        }
        __syncthreads();
    }
    if (threadIdx.x == 0) {
        blockSums[blockIdx.x] = sums[0];
    }
}

// ---- dense projection: out[:, group] = (x o keep) . W[:, group] (+ b) ----------------------------------
// Tiles of 64 rows x 16 output columns, 16 inputs at a time; block (16, 16), each thread 4 rows of one
// column. Grid: (ceil(n / 64), ceil(colCount / 16)). The input element (r, c) is dropped with mask index
// r * k + c (as on the CPU), for the group's mask.

#define LIN_TM 64
#define LIN_TN 16
#define LIN_TK 16

extern "C" __global__ void linear_forward(const float* x, int n, int k, const float* w, int m, const float* bias,
                                          float* out, int colStart, int colCount, u64 key, unsigned threshold,
                                          float scale) {
    __shared__ float xs[LIN_TM][LIN_TK + 1];
    __shared__ float ws[LIN_TK][LIN_TN];
    int tx = threadIdx.x;
    int ty = threadIdx.y;
    int t = ty * LIN_TN + tx;
    int row0 = blockIdx.x * LIN_TM;
    int local = blockIdx.y * LIN_TN + tx;
    float acc[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    for (int k0 = 0; k0 < k; k0 += LIN_TK) {
        for (int q = t; q < LIN_TM * LIN_TK; q += LIN_TN * LIN_TN) {
            int r = q / LIN_TK;
            int c = q % LIN_TK;
            int row = row0 + r;
            int col = k0 + c;
            float v = 0.0f;
            if (row < n && col < k) {
                v = x[row * k + col] * keep_factor(key, threshold, scale, (unsigned) (row * k + col));
            }
            xs[r][c] = v;
        }
        {
            int r = t / LIN_TN;
            int c = t % LIN_TN;
            int input = k0 + r;
            int output = blockIdx.y * LIN_TN + c;
            ws[r][c] = (input < k && output < colCount) ? w[input * m + colStart + output] : 0.0f;
        }
        __syncthreads();
        for (int c = 0; c < LIN_TK; c++) {
            float wv = ws[c][tx];
            for (int r = 0; r < 4; r++) {
                acc[r] += xs[ty * 4 + r][c] * wv;
            }
        }
        __syncthreads();
    }
    if (local < colCount) {
        float b = bias != 0 ? bias[colStart + local] : 0.0f;
        for (int r = 0; r < 4; r++) {
            int row = row0 + ty * 4 + r;
            if (row < n) {
                out[row * m + colStart + local] = acc[r] + b;
            }
        }
    }
}

// Weight gradient partials of one group: partials[chunk][c * colCount + j] = sum over the chunk's rows of
// (x o keep)[r, c] * dOut[r, colStart + j]. Grid: (ceil(k * colCount / block), chunks).
extern "C" __global__ void linear_weight_partials(const float* x, int n, int k, const float* dOut, int m,
                                                  int colStart, int colCount, u64 key, unsigned threshold,
                                                  float scale, int rowsPerChunk, float* partials) {
    int e = global_index();
    int chunk = blockIdx.y;
    if (e < k * colCount) {
        int c = e / colCount;
        int j = colStart + e % colCount;
        int first = chunk * rowsPerChunk;
        int last = min(n, first + rowsPerChunk);
        float sum = 0.0f;
        for (int r = first; r < last; r++) {
            float v = x[r * k + c] * keep_factor(key, threshold, scale, (unsigned) (r * k + c));
            sum += v * dOut[r * m + j];
        }
        partials[chunk * (k * colCount) + e] = sum;
    }
}

// dIn[r, c] += keep(r, c) * sum over the group's columns j of dOut[r, j] * W[c, j]. One thread per (r, c).
extern "C" __global__ void linear_input_gradient(const float* dOut, int n, int m, const float* w, int k,
                                                 int colStart, int colCount, u64 key, unsigned threshold,
                                                 float scale, float* dIn) {
    int e = global_index();
    if (e < n * k) {
        int r = e / k;
        int c = e % k;
        float sum = 0.0f;
        for (int j = colStart; j < colStart + colCount; j++) {
            sum += dOut[r * m + j] * w[c * m + j];
        }
        dIn[e] += sum * keep_factor(key, threshold, scale, (unsigned) e);
    }
}

// ---- sparse projection (CSR input, CSC copy for the weight gradient) ---------------------------------
// Entry (r, c) is dropped with mask index r * cols + c, as on the CPU.

// out[r, colStart + j] = sum over row r's entries of v * keep * W[c, colStart + j] (+ b). One thread per (r, j).
extern "C" __global__ void sparse_linear_forward(const int* rowOffsets, const int* columns, const float* values,
                                                 int n, int cols, const float* w, int m, const float* bias,
                                                 float* out, int colStart, int colCount, u64 key,
                                                 unsigned threshold, float scale) {
    int e = global_index();
    if (e < n * colCount) {
        int r = e / colCount;
        int j = colStart + e % colCount;
        float sum = bias != 0 ? bias[j] : 0.0f;
        float acc = 0.0f;
        for (int p = rowOffsets[r]; p < rowOffsets[r + 1]; p++) {
            int c = columns[p];
            float v = values[p] * keep_factor(key, threshold, scale, (unsigned) (r * cols + c));
            acc += v * w[c * m + j];
        }
        out[r * m + j] = sum + acc;
    }
}

// dW[c, colStart + j] = sum over column c's entries of v * keep * dOut[r, colStart + j]. One thread per (c, j).
extern "C" __global__ void sparse_linear_weight_gradient(const int* columnOffsets, const int* columnRows,
                                                         const int* columnEntries, const float* values, int cols,
                                                         const float* dOut, int m, int colStart, int colCount,
                                                         u64 key, unsigned threshold, float scale, float* dW) {
    int e = global_index();
    if (e < cols * colCount) {
        int c = e / colCount;
        int j = colStart + e % colCount;
        float sum = 0.0f;
        for (int q = columnOffsets[c]; q < columnOffsets[c + 1]; q++) {
            int r = columnRows[q];
            float v = values[columnEntries[q]] * keep_factor(key, threshold, scale, (unsigned) (r * cols + c));
            sum += v * dOut[r * m + j];
        }
        dW[c * m + j] = sum;
    }
}

// ---- per-node attention scores -----------------------------------------------------------------------

// s[i, h] = z[i, h, :] . attSource[h, :], t[i, h] likewise. One thread per (i, h).
extern "C" __global__ void attention_scores(const float* z, int n, int heads, int channels, const float* attSource,
                                            const float* attTarget, float* s, float* t) {
    int e = global_index();
    if (e < n * heads) {
        int h = e % heads;
        const float* zi = z + e * channels;
        float sourceSum = 0.0f;
        float targetSum = 0.0f;
        for (int c = 0; c < channels; c++) {
            sourceSum += zi[c] * attSource[h * channels + c];
            targetSum += zi[c] * attTarget[h * channels + c];
        }
        s[e] = sourceSum;
        t[e] = targetSum;
    }
}

// dZ[i, h, c] += dS[i, h] * attSource[h, c] + dT[i, h] * attTarget[h, c]. One thread per element.
extern "C" __global__ void attention_scores_input_gradient(int n, int heads, int channels, const float* attSource,
                                                           const float* attTarget, const float* dS,
                                                           const float* dT, float* dZ) {
    int e = global_index();
    int width = heads * channels;
    if (e < n * width) {
        int i = e / width;
        int hc = e % width;
        int h = hc / channels;
        dZ[e] += dS[i * heads + h] * attSource[hc] + dT[i * heads + h] * attTarget[hc];
    }
}

// partials[chunk][hc] = sum over the chunk's rows of dS[i, h] * z[i, hc]; partials[chunk][width + hc] with dT.
extern "C" __global__ void attention_vector_partials(const float* z, int n, int heads, int channels,
                                                     const float* dS, const float* dT, int rowsPerChunk,
                                                     float* partials) {
    int e = global_index();
    int width = heads * channels;
    int chunk = blockIdx.y;
    if (e < 2 * width) {
        int hc = e % width;
        int h = hc / channels;
        const float* d = e < width ? dS : dT;
        int first = chunk * rowsPerChunk;
        int last = min(n, first + rowsPerChunk);
        float sum = 0.0f;
        for (int i = first; i < last; i++) {
            sum += d[i * heads + h] * z[i * width + hc];
        }
        partials[chunk * 2 * width + e] = sum;
    }
}

// scores[r, h] = sum_c z[r, h, c] * att[h, c] for any rows (edge slots). One thread per (r, h).
extern "C" __global__ void head_scores(const float* z, int rows, int heads, int channels, const float* att,
                                       float* scores) {
    int e = global_index();
    if (e < rows * heads) {
        int h = e % heads;
        const float* zr = z + (e / heads) * heads * channels + h * channels;
        float sum = 0.0f;
        for (int c = 0; c < channels; c++) {
            sum += zr[c] * att[h * channels + c];
        }
        scores[e] = sum;
    }
}

// dZ[r, h, c] += dScores[r, h] * att[h, c]; contributions[r, h, c] = dScores[r, h] * z[r, h, c] (rows summed
// later into dAtt). One thread per element.
extern "C" __global__ void head_scores_backward(const float* z, int rows, int heads, int channels,
                                                const float* att, const float* dScores, float* dZ,
                                                float* contributions) {
    int e = global_index();
    int width = heads * channels;
    if (e < rows * width) {
        int r = e / width;
        int h = (e % width) / channels;
        float g = dScores[r * heads + h];
        dZ[e] += g * att[e % width];
        contributions[e] = g * z[e];
    }
}

// ---- softmax over each target's incoming slots ---------------------------------------------------------

// a[first..last) of head h (stride heads) from raw scores to a max-subtracted softmax, in place.
__device__ void softmax_in_place(float* a, int first, int last, int heads, int h) {
    float max = -INFINITY;
    for (int slot = first; slot < last; slot++) {
        max = fmaxf(max, a[slot * heads + h]);
    }
    float sum = 0.0f;
    for (int slot = first; slot < last; slot++) {
        float ex = expf(a[slot * heads + h] - max);
        a[slot * heads + h] = ex;
        sum += ex;
    }
    float inverse = 1.0f / sum;
    for (int slot = first; slot < last; slot++) {
        a[slot * heads + h] *= inverse;
    }
}

// g becomes a o (g - sum(a o g)) over the target's slots, for head h.
__device__ void softmax_backward_in_place(const float* a, float* g, int first, int last, int heads, int h) {
    float dot = 0.0f;
    for (int slot = first; slot < last; slot++) {
        dot += a[slot * heads + h] * g[slot * heads + h];
    }
    for (int slot = first; slot < last; slot++) {
        int e = slot * heads + h;
        g[e] = a[e] * (g[e] - dot);
    }
}

// In place: the raw scores of target i's slots become their softmax, per head. One thread per (i, h).
extern "C" __global__ void edge_softmax(const int* offsets, int n, int heads, float* scores) {
    int e = global_index();
    if (e < n * heads) {
        int i = e / heads;
        softmax_in_place(scores, offsets[i], offsets[i + 1], heads, e % heads);
    }
}

// In place: dAlpha becomes the gradient of the raw scores of target i's slots. One thread per (i, h).
extern "C" __global__ void edge_softmax_backward(const int* offsets, int n, int heads, const float* alpha,
                                                 float* dAlpha) {
    int e = global_index();
    if (e < n * heads) {
        int i = e / heads;
        softmax_backward_in_place(alpha, dAlpha, offsets[i], offsets[i + 1], heads, e % heads);
    }
}

// ---- GAT scores ----------------------------------------------------------------------------------------

// scores[slot, h] = LeakyReLU(s[source, h] + t[i, h] + edge[slot, h]) over target i's slots; edge may be
// null (no relationship features). One thread per (i, h).
extern "C" __global__ void gat_scores(const int* offsets, const int* sources, int n, int heads, const float* s,
                                      const float* t, const float* edge, float slope, float* scores) {
    int e = global_index();
    if (e < n * heads) {
        int i = e / heads;
        int h = e % heads;
        float ti = t[e];
        for (int slot = offsets[i]; slot < offsets[i + 1]; slot++) {
            float u = s[sources[slot] * heads + h] + ti;
            if (edge != nullptr) {
                u += edge[slot * heads + h];
            }
            scores[slot * heads + h] = leaky_relu(u, slope);
        }
    }
}

// Target side of the GAT score backward: dScores becomes the pre-activation gradient (times LeakyReLU'),
// dT[i, h] = its sum over i's slots. One thread per (i, h).
extern "C" __global__ void gat_scores_backward(const int* offsets, const int* sources, int n, int heads,
                                               const float* s, const float* t, const float* edge, float slope,
                                               float* dScores, float* dT) {
    int e = global_index();
    if (e < n * heads) {
        int i = e / heads;
        int h = e % heads;
        float ti = t[e];
        float sum = 0.0f;
        for (int slot = offsets[i]; slot < offsets[i + 1]; slot++) {
            int q = slot * heads + h;
            float u = s[sources[slot] * heads + h] + ti;
            if (edge != nullptr) {
                u += edge[q];
            }
            float du = dScores[q] * leaky_relu_slope(u, slope);
            dScores[q] = du;
            sum += du;
        }
        dT[e] = sum;
    }
}

// perSource[j, h] = sum over j's outgoing slots of perSlot[slot, h]. One thread per (j, h).
extern "C" __global__ void sum_over_outgoing(const int* outOffsets, const int* outSlots, int n, int heads,
                                             const float* perSlot, float* perSource) {
    int e = global_index();
    if (e < n * heads) {
        int j = e / heads;
        int h = e % heads;
        float sum = 0.0f;
        for (int p = outOffsets[j]; p < outOffsets[j + 1]; p++) {
            sum += perSlot[outSlots[p] * heads + h];
        }
        perSource[e] = sum;
    }
}

// ---- GATv2 scores ------------------------------------------------------------------------------------

// scores[slot, h] = sum_c att[h, c] * LeakyReLU(xt[i, h, c] + xs[source, h, c] + xe[slot, h, c]) over target
// i's slots; xe may be null (no relationship features). One thread per (i, h).
extern "C" __global__ void gatv2_scores(const int* offsets, const int* sources, int n, int heads, int channels,
                                        const float* xs, const float* xt, const float* xe, const float* att,
                                        float slope, float* scores) {
    int e = global_index();
    if (e < n * heads) {
        int i = e / heads;
        int h = e % heads;
        int width = heads * channels;
        const float* ti = xt + i * width + h * channels;
        const float* ah = att + h * channels;
        for (int slot = offsets[i]; slot < offsets[i + 1]; slot++) {
            const float* sj = xs + sources[slot] * width + h * channels;
            const float* es = xe == nullptr ? nullptr : xe + slot * width + h * channels;
            float score = 0.0f;
            for (int c = 0; c < channels; c++) {
                float u = ti[c] + sj[c];
                if (es != nullptr) {
                    u += es[c];
                }
                score += ah[c] * leaky_relu(u, slope);
            }
            scores[slot * heads + h] = score;
        }
    }
}

// Target side, with de = dScores: dXt[i, h, :] += sum_slots de * att * LReLU'(u), dXe[slot, h, :] = that
// slot's term (when xe is not null); contributions[i, h, :] = sum_slots de * LReLU(u) (rows summed later
// into dAtt). One thread per (i, h).
extern "C" __global__ void gatv2_backward_target(const int* offsets, const int* sources, int n, int heads,
                                                 int channels, const float* xs, const float* xt, const float* xe,
                                                 const float* att, float slope, const float* dScores, float* dXt,
                                                 float* dXe, float* contributions) {
    int e = global_index();
    if (e < n * heads) {
        int i = e / heads;
        int h = e % heads;
        int width = heads * channels;
        const float* ti = xt + i * width + h * channels;
        const float* ah = att + h * channels;
        float* dti = dXt + i * width + h * channels;
        float* ci = contributions + i * width + h * channels;
        for (int c = 0; c < channels; c++) {
            ci[c] = 0.0f;
        }
        for (int slot = offsets[i]; slot < offsets[i + 1]; slot++) {
            float de = dScores[slot * heads + h];
            const float* sj = xs + sources[slot] * width + h * channels;
            int es = slot * width + h * channels;
            for (int c = 0; c < channels; c++) {
                float u = ti[c] + sj[c];
                if (xe != nullptr) {
                    u += xe[es + c];
                }
                float du = de * ah[c] * leaky_relu_slope(u, slope);
                dti[c] += du;
                if (xe != nullptr) {
                    dXe[es + c] = du;
                }
                ci[c] += de * leaky_relu(u, slope);
            }
        }
    }
}

// Source side: dXs[j, h, :] += sum over j's outgoing slots of de * att * LReLU'(u) (xe may be null).
// One thread per (j, h).
extern "C" __global__ void gatv2_backward_source(const int* outOffsets, const int* outSlots, const int* outTargets,
                                                 int n, int heads, int channels, const float* xs, const float* xt,
                                                 const float* xe, const float* att, float slope,
                                                 const float* dScores, float* dXs) {
    int e = global_index();
    if (e < n * heads) {
        int j = e / heads;
        int h = e % heads;
        int width = heads * channels;
        const float* sj = xs + j * width + h * channels;
        const float* ah = att + h * channels;
        float* dsj = dXs + j * width + h * channels;
        for (int p = outOffsets[j]; p < outOffsets[j + 1]; p++) {
            int slot = outSlots[p];
            float de = dScores[slot * heads + h];
            const float* ti = xt + outTargets[p] * width + h * channels;
            const float* es = xe == nullptr ? nullptr : xe + slot * width + h * channels;
            for (int c = 0; c < channels; c++) {
                float u = ti[c] + sj[c];
                if (es != nullptr) {
                    u += es[c];
                }
                dsj[c] += de * ah[c] * leaky_relu_slope(u, slope);
            }
        }
    }
}

// ---- aggregation -------------------------------------------------------------------------------------
// The attention of slot s, head h, is dropped with mask index s * heads + h, as on the CPU.

// out[i, col]: heads concatenated (col = h * C + c) or averaged (col = c). One thread per (i, col).
extern "C" __global__ void aggregate(const int* offsets, const int* sources, int n, int heads, int channels,
                                     const float* alpha, const float* messages, int concat, u64 key,
                                     unsigned threshold, float scale, float* out) {
    int e = global_index();
    int outWidth = concat ? heads * channels : channels;
    if (e < n * outWidth) {
        int i = e / outWidth;
        int col = e % outWidth;
        int width = heads * channels;
        int first = offsets[i];
        int last = offsets[i + 1];
        int firstHead = concat ? col / channels : 0;
        int lastHead = concat ? firstHead + 1 : heads;
        int c = col % channels;
        float total = 0.0f;
        for (int h = firstHead; h < lastHead; h++) {
            float sum = 0.0f;
            for (int slot = first; slot < last; slot++) {
                int q = slot * heads + h;
                float weight = alpha[q] * keep_factor(key, threshold, scale, (unsigned) q);
                sum += weight * messages[sources[slot] * width + h * channels + c];
            }
            total += sum;
        }
        out[e] = concat || heads == 1 ? total : total / heads;
    }
}

// dAlpha[slot, h] = keep * headScale * dOut[target, head part] . messages[source, h]. One thread per (slot, h).
extern "C" __global__ void aggregate_backward_alpha(const int* slotTargets, const int* sources, int slots,
                                                    int heads, int channels, const float* messages,
                                                    const float* dOut, int concat, u64 key, unsigned threshold,
                                                    float scale, float* dAlpha) {
    int q = global_index();
    if (q < slots * heads) {
        int slot = q / heads;
        int h = q % heads;
        int width = heads * channels;
        int outWidth = concat ? width : channels;
        const float* g = dOut + slotTargets[slot] * outWidth + (concat ? h * channels : 0);
        const float* mj = messages + sources[slot] * width + h * channels;
        float dot = 0.0f;
        for (int c = 0; c < channels; c++) {
            dot += g[c] * mj[c];
        }
        float headScale = concat ? 1.0f : 1.0f / heads;
        dAlpha[q] = dot * headScale * keep_factor(key, threshold, scale, (unsigned) q);
    }
}

// dMessages[j, h, c] += sum over j's outgoing slots of alpha' * headScale * dOut[target, head part + c].
extern "C" __global__ void aggregate_backward_messages(const int* outOffsets, const int* outSlots,
                                                       const int* outTargets, int n, int heads, int channels,
                                                       const float* alpha, const float* dOut, int concat, u64 key,
                                                       unsigned threshold, float scale, float* dMessages) {
    int e = global_index();
    int width = heads * channels;
    if (e < n * width) {
        int j = e / width;
        int hc = e % width;
        int h = hc / channels;
        int c = hc % channels;
        int outWidth = concat ? width : channels;
        int column = concat ? hc : c;
        float headScale = concat ? 1.0f : 1.0f / heads;
        float sum = 0.0f;
        for (int p = outOffsets[j]; p < outOffsets[j + 1]; p++) {
            int q = outSlots[p] * heads + h;
            float weight = alpha[q] * keep_factor(key, threshold, scale, (unsigned) q) * headScale;
            sum += weight * dOut[outTargets[p] * outWidth + column];
        }
        dMessages[e] += sum;
    }
}

// ---- losses ------------------------------------------------------------------------------------------

// Softmax cross-entropy of target q (node nodes[q], class labels[q]): losses[q], correct[q] (arg-max, first
// maximum wins), and when dLogits is not null its row (softmax - onehot) * gradientScale. One thread per q.
extern "C" __global__ void cross_entropy(const float* logits, int classes, const int* nodes, const int* labels,
                                         int count, float* dLogits, float gradientScale, float* losses,
                                         int* correct) {
    int q = global_index();
    if (q < count) {
        const float* z = logits + nodes[q] * classes;
        int label = labels[q];
        float max = -INFINITY;
        int best = 0;
        for (int c = 0; c < classes; c++) {
            if (z[c] > max) {
                max = z[c];
                best = c;
            }
        }
        float sum = 0.0f;
        for (int c = 0; c < classes; c++) {
            sum += expf(z[c] - max);
        }
        float logSum = logf(sum);
        losses[q] = logSum - (z[label] - max);
        correct[q] = best == label ? 1 : 0;
        if (dLogits != 0) {
            float* d = dLogits + nodes[q] * classes;
            for (int c = 0; c < classes; c++) {
                float probability = expf(z[c] - max - logSum);
                d[c] = (c == label ? probability - 1.0f : probability) * gradientScale;
            }
        }
    }
}

// Sigmoid binary cross-entropy over the classes of target q (memberships: [count, classes] of 0/1):
// losses[q] (summed over classes), counts[q], counts[count + q], counts[2 count + q] = true positives,
// false positives, false negatives (prediction: logit > 0); gradient (sigmoid - y) * gradientScale.
extern "C" __global__ void binary_cross_entropy(const float* logits, int classes, const int* nodes,
                                                const float* memberships, int count, float* dLogits,
                                                float gradientScale, float* losses, int* counts) {
    int q = global_index();
    if (q < count) {
        const float* z = logits + nodes[q] * classes;
        const float* y = memberships + q * classes;
        float loss = 0.0f;
        int truePositives = 0;
        int falsePositives = 0;
        int falseNegatives = 0;
        for (int c = 0; c < classes; c++) {
            float x = z[c];
            loss += fmaxf(x, 0.0f) - x * y[c] + log1pf(expf(-fabsf(x)));
            bool predicted = x > 0.0f;
            bool actual = y[c] == 1.0f;
            truePositives += predicted && actual ? 1 : 0;
            falsePositives += predicted && !actual ? 1 : 0;
            falseNegatives += !predicted && actual ? 1 : 0;
            if (dLogits != 0) {
                float sigmoid = x >= 0.0f ? 1.0f / (1.0f + expf(-x)) : expf(x) / (1.0f + expf(x));
                dLogits[nodes[q] * classes + c] = (sigmoid - y[c]) * gradientScale;
            }
        }
        losses[q] = loss;
        counts[q] = truePositives;
        counts[count + q] = falsePositives;
        counts[2 * count + q] = falseNegatives;
    }
}
