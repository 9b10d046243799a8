package dev.neogat.nn;

import dev.neogat.nn.cpu.CpuBackend;
import dev.neogat.util.DropoutMask;
import dev.neogat.util.InputDropout;
import dev.neogat.util.TerminationFlag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * The dense projection {@code out = dropout(x)·W + b} and its weight gradient {@code dW = dropout(x)ᵀ·dOut}
 * against a plain triple loop, with no mask, one shared mask and one mask per group of output columns, on
 * shapes that span several row chunks (one partial) and whose non-zero counts leave groups of four
 * incomplete; and bit-identical results for 1, 2, 3 and 8 threads.
 */
class DenseProjectionTest {

    private static final int ROWS = 301;
    private static final int INPUTS = 37;

    @ParameterizedTest(name = "output width {0}, {1} dropout group(s)")
    @CsvSource({"32, 0", "32, 1", "32, 2", "64, 1", "24, 3", "7, 1"})
    void matchesThePlainProductAtAnyThreadCount(int width, int groups) {
        SplittableRandom random = new SplittableRandom(width * 31L + groups);
        float[] x = values(ROWS * INPUTS, random, 1 / 3.0);
        float[] w = values(INPUTS * width, random, 1);
        float[] b = values(width, random, 1);
        float[] g = values(ROWS * width, random, 1);
        DropoutMask[] masks = new DropoutMask[groups];
        for (int group = 0; group < groups; group++) {
            masks[group] = new DropoutMask(17 + group, 0.6);
        }
        InputDropout dropout = groups == 0 ? null
                : groups == 1 ? InputDropout.shared(masks[0]) : InputDropout.perGroup(masks);

        float[][] single = run(1, x, w, b, g, width, dropout);
        double[] expectedOut = new double[ROWS * width];
        double[] expectedWeightGradient = new double[INPUTS * width];
        int groupWidth = groups == 0 ? width : width / groups;
        for (int i = 0; i < ROWS; i++) {
            for (int j = 0; j < width; j++) {
                double sum = b[j];
                for (int c = 0; c < INPUTS; c++) {
                    double kept = kept(x, masks, groups == 0 ? -1 : j / groupWidth, i * INPUTS + c);
                    sum += kept * w[c * width + j];
                    expectedWeightGradient[c * width + j] += kept * g[i * width + j];
                }
                expectedOut[i * width + j] = sum;
            }
        }
        double tolerance = Precision.IS_FLOAT64 ? 1e-12 : 1e-5;
        Precision.assertClose(expectedOut, single[0], tolerance, "projection");
        Precision.assertClose(expectedWeightGradient, single[1], tolerance, "weight gradient");
        for (int threads : new int[]{2, 3, 8}) {
            float[][] parallel = run(threads, x, w, b, g, width, dropout);
            assertArrayEquals(single[0], parallel[0], "projection with " + threads + " threads");
            assertArrayEquals(single[1], parallel[1], "weight gradient with " + threads + " threads");
        }
    }

    /** x[index]·keep·scale under the mask of {@code group}, or x[index] without one (group -1). */
    private static double kept(float[] x, DropoutMask[] masks, int group, int index) {
        if (group < 0) {
            return x[index];
        }
        DropoutMask mask = masks[group];
        return mask.keep(index) ? x[index] * (float) mask.scale() : 0;
    }

    private static float[][] run(int threads, float[] x, float[] w, float[] b, float[] g, int width,
                                 InputDropout dropout) {
        try (CpuBackend backend = new CpuBackend(threads, TerminationFlag.RUNNING)) {
            Tensor in = backend.upload(x, ROWS, INPUTS);
            Tensor weight = backend.upload(w, INPUTS, width);
            Tensor bias = backend.upload(b, 1, width);
            Tensor dOut = backend.upload(g, ROWS, width);
            Tensor out = backend.zeros(ROWS, width);
            Tensor dWeight = backend.zeros(INPUTS, width);
            backend.linear(in, dropout, weight, bias, out);
            backend.linearBackward(in, dropout, weight, dOut, dWeight, null, null);
            return new float[][]{Precision.download(backend, out), Precision.download(backend, dWeight)};
        }
    }

    /** Values in [-1, 1), each non-zero with probability {@code density}. */
    private static float[] values(int count, SplittableRandom random, double density) {
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = random.nextDouble() < density ? (float) (random.nextDouble() * 2 - 1) : 0f;
        }
        return values;
    }
}
