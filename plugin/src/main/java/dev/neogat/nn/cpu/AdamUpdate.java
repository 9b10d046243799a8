package dev.neogat.nn.cpu;

import dev.neogat.nn.AdamSettings;
import dev.neogat.util.Parallel;

/** One Adam step for one parameter, element-wise, with PyTorch's order of operations (see AdamSettings). */
final class AdamUpdate {

    private static final int GRAIN = 1 << 14;

    private AdamUpdate() {
    }

    static void step(Parallel parallel, CpuTensor parameter, CpuTensor gradient, CpuTensor firstMoment,
                     CpuTensor secondMoment, AdamSettings settings, int step) {
        float[] p = parameter.data;
        float[] g = gradient.data;
        float[] m = firstMoment.data;
        float[] v = secondMoment.data;
        float beta1 = (float) settings.beta1();
        float beta2 = (float) settings.beta2();
        float decay = (float) settings.weightDecay();
        float epsilon = (float) settings.epsilon();
        float stepSize = (float) settings.stepSize(step);
        float correction2 = (float) settings.secondMomentCorrection(step);
        parallel.forRange(p.length, GRAIN, (start, end) -> {
            for (int e = start; e < end; e++) {
                float grad = g[e] + decay * p[e];
                m[e] = beta1 * m[e] + (1f - beta1) * grad;
                v[e] = beta2 * v[e] + (1f - beta2) * grad * grad;
                float denominator = (float) Math.sqrt(v[e]) / correction2 + epsilon;
                p[e] -= stepSize * (m[e] / denominator);
            }
        });
    }
}
