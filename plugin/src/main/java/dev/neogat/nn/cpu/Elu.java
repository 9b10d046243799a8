package dev.neogat.nn.cpu;

import dev.neogat.util.Exponential;
import dev.neogat.util.Parallel;

/**
 * ELU with α = 1: {@code y = x} for x > 0, {@code e^x - 1} otherwise. The backward pass needs only
 * the output: {@code ELU'(x) = 1} for y > 0, {@code y + 1} (= e^x) otherwise.
 */
final class Elu {

    private static final int GRAIN = 1 << 14;

    private Elu() {
    }

    static void forward(Parallel parallel, CpuTensor in, CpuTensor out) {
        float[] x = in.data;
        float[] y = out.data;
        parallel.forRange(x.length, GRAIN, (start, end) -> {
            for (int p = start; p < end; p++) {
                float v = x[p];
                y[p] = v > 0f ? v : Exponential.expm1(v);
            }
        });
    }

    static void backward(Parallel parallel, CpuTensor out, CpuTensor dOut, CpuTensor dIn) {
        float[] y = out.data;
        float[] g = dOut.data;
        float[] dx = dIn.data;
        parallel.forRange(y.length, GRAIN, (start, end) -> {
            for (int p = start; p < end; p++) {
                // ELU' = min(y + 1, 1): y + 1 for y <= 0, 1 above; no branch on the sign.
                dx[p] = g[p] * Math.min(y[p] + 1f, 1f);
            }
        });
    }
}
