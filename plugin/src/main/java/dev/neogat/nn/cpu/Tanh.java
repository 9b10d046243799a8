package dev.neogat.nn.cpu;

import dev.neogat.util.Parallel;

/**
 * {@code y = tanh(x)}, the nonlinearity of semantic attention. The backward pass needs only the output:
 * {@code tanh'(x) = 1 - y²}.
 */
final class Tanh {

    private static final int GRAIN = 1 << 13;

    private Tanh() {
    }

    static void forward(Parallel parallel, CpuTensor in, CpuTensor out) {
        float[] x = in.data;
        float[] y = out.data;
        parallel.forRange(x.length, GRAIN, (start, end) -> {
            for (int p = start; p < end; p++) {
                y[p] = (float) Math.tanh(x[p]);
            }
        });
    }

    static void backward(Parallel parallel, CpuTensor out, CpuTensor dOut, CpuTensor dIn) {
        float[] y = out.data;
        float[] g = dOut.data;
        float[] dx = dIn.data;
        parallel.forRange(y.length, GRAIN, (start, end) -> {
            for (int p = start; p < end; p++) {
                dx[p] = g[p] * (1f - y[p] * y[p]);
            }
        });
    }
}
