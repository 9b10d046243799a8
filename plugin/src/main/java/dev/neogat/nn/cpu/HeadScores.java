package dev.neogat.nn.cpu;

import dev.neogat.util.Parallel;

/**
 * One attention vector applied per head to any rows (edge slots for relationship features):
 * {@code scores[r,h] = Σ_c z[r,hC+c]·a[h,c]}.
 *
 * <p>Backward: {@code dz[r,hC+c] += dScores[r,h]·a[h,c]}, {@code da[h,c] = Σ_r dScores[r,h]·z[r,hC+c]} as a
 * fixed-order reduction over row chunks.
 */
final class HeadScores {

    private HeadScores() {
    }

    static void forward(Parallel parallel, CpuTensor z, CpuTensor att, CpuTensor scores) {
        int heads = att.rows;
        int channels = att.cols;
        int width = heads * channels;
        float[] x = z.data;
        float[] a = att.data;
        float[] s = scores.data;
        parallel.forRange(z.rows, Chunking.grain(width), (start, end) -> {
            for (int r = start; r < end; r++) {
                for (int h = 0; h < heads; h++) {
                    int base = r * width + h * channels;
                    float sum = 0f;
                    for (int c = 0; c < channels; c++) {
                        sum += x[base + c] * a[h * channels + c];
                    }
                    s[r * heads + h] = sum;
                }
            }
        });
    }

    static void backward(Parallel parallel, CpuTensor z, CpuTensor att, CpuTensor dScores, CpuTensor dZ,
                         CpuTensor dAtt) {
        int rows = z.rows;
        int heads = att.rows;
        int channels = att.cols;
        int width = heads * channels;
        float[] x = z.data;
        float[] a = att.data;
        float[] ds = dScores.data;
        float[] dx = dZ.data;
        parallel.forRange(rows, Chunking.grain(width), (start, end) -> {
            for (int r = start; r < end; r++) {
                for (int h = 0; h < heads; h++) {
                    float g = ds[r * heads + h];
                    int base = r * width + h * channels;
                    for (int c = 0; c < channels; c++) {
                        dx[base + c] += g * a[h * channels + c];
                    }
                }
            }
        });
        int grain = Chunking.reductionGrain(rows);
        float[][] partials = new float[Parallel.chunkCount(rows, grain)][];
        parallel.forChunks(rows, grain, (chunk, start, end) -> {
            float[] part = new float[width];
            for (int r = start; r < end; r++) {
                for (int h = 0; h < heads; h++) {
                    float g = ds[r * heads + h];
                    int base = r * width + h * channels;
                    for (int c = 0; c < channels; c++) {
                        part[h * channels + c] += g * x[base + c];
                    }
                }
            }
            partials[chunk] = part;
        });
        ColumnSums.sumInOrder(parallel, partials, dAtt.data);
    }
}
