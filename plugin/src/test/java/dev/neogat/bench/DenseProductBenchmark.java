package dev.neogat.bench;

import dev.neogat.nn.Tensor;
import dev.neogat.nn.cpu.CpuBackend;
import dev.neogat.nn.cpu.CpuTensor;
import dev.neogat.util.TerminationFlag;
import org.ejml.concurrency.EjmlConcurrency;
import org.ejml.data.FMatrixRMaj;
import org.ejml.dense.row.CommonOps_FDRM;
import org.ejml.dense.row.CommonOps_MT_FDRM;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The engine's own dense projection kernels against EJML's float row-major products on the shapes a GAT
 * uses: the output layer on Cora (2708 × 64 · 64 × 7), a hidden layer on a 100 k-node graph
 * (100000 × 64 · 64 × 64) and the first layer on issue 14's dense words (3000 × 745 · 745 × 64, a third of
 * the inputs non-zero). For each: forward {@code Y = X·W}, weight gradient {@code dW = Xᵀ·G} and input
 * gradient {@code dX = G·Wᵀ}; EJML single-threaded and concurrent (its own pool) at the same thread count.
 * The engine keeps its kernels where they are at least as fast: they also fuse the dropout mask and use
 * the training's own fixed-chunk, thread-count-independent parallelism.
 *
 * <p>Run: {@code mvn -q -pl plugin -Pbench verify -Dbench.main=dev.neogat.bench.DenseProductBenchmark}
 */
public final class DenseProductBenchmark {

    public static void main(String[] args) {
        int threads = BenchArgs.threads();
        EjmlConcurrency.setMaxThreads(threads);
        System.out.printf(Locale.ROOT, "java %s, %d threads; median ms (%s) of repeated runs%n",
                System.getProperty("java.version"), threads,
                threads == 1 ? "CPU time of the calling thread; EJML MT needs more threads" : "wall time");
        compare("Cora output layer", 2708, 64, 7, 1, threads, 200);
        compare("100k hidden layer", 100_000, 64, 64, 1, threads, 12);
        compare("dense words first layer", 3000, 745, 64, 1 / 3.0, threads, 30);
    }

    /** {@code density}: the share of the input's values that are non-zero. */
    private static void compare(String name, int n, int k, int m, double density, int threads, int repetitions) {
        SplittableRandom random = new SplittableRandom(1);
        float[] x = randomValues(n * k, random);
        for (int i = 0; i < x.length; i++) {
            x[i] = random.nextDouble() < density ? x[i] : 0f;
        }
        float[] w = randomValues(k * m, random);
        float[] g = randomValues(n * m, random);
        FMatrixRMaj ex = FMatrixRMaj.wrap(n, k, x);
        FMatrixRMaj ew = FMatrixRMaj.wrap(k, m, w);
        FMatrixRMaj eg = FMatrixRMaj.wrap(n, m, g);
        FMatrixRMaj ey = new FMatrixRMaj(n, m);
        FMatrixRMaj edw = new FMatrixRMaj(k, m);
        FMatrixRMaj edx = new FMatrixRMaj(n, k);
        try (CpuBackend backend = new CpuBackend(threads, TerminationFlag.RUNNING)) {
            Tensor tx = backend.upload(x, n, k);
            Tensor tw = backend.upload(w, k, m);
            Tensor tg = backend.upload(g, n, m);
            Tensor ty = backend.zeros(n, m);
            Tensor tdw = backend.zeros(k, m);
            Tensor tdx = backend.zeros(n, k);
            double ownForward = time(repetitions, () -> backend.linear(tx, null, tw, null, ty));
            double ownWeightGradient = time(repetitions, () -> backend.linearBackward(tx, null, tw, tg, tdw, null, null));
            double ownBoth = time(repetitions, () -> {
                backend.fill(tdx, 0f);
                backend.linearBackward(tx, null, tw, tg, tdw, null, tdx);
            });
            double ejmlForward = time(repetitions, () -> CommonOps_FDRM.mult(ex, ew, ey));
            double ejmlWeightGradient = time(repetitions, () -> CommonOps_FDRM.multTransA(ex, eg, edw));
            double ejmlInputGradient = time(repetitions, () -> CommonOps_FDRM.multTransB(eg, ew, edx));
            double mtForward = threads == 1 ? Double.NaN
                    : time(repetitions, () -> CommonOps_MT_FDRM.mult(ex, ew, ey));
            double mtWeightGradient = threads == 1 ? Double.NaN
                    : time(repetitions, () -> CommonOps_MT_FDRM.multTransA(ex, eg, edw));
            double mtInputGradient = threads == 1 ? Double.NaN
                    : time(repetitions, () -> CommonOps_MT_FDRM.multTransB(eg, ew, edx));
            checkSame("forward", ((CpuTensor) ty).data(), ey.data);
            checkSame("weight gradient", ((CpuTensor) tdw).data(), edw.data);
            checkSame("input gradient", ((CpuTensor) tdx).data(), edx.data);
            System.out.printf(Locale.ROOT, "%s (%d x %d . %d x %d):%n", name, n, k, k, m);
            System.out.printf(Locale.ROOT, "  forward          own %8.3f   EJML %8.3f   EJML MT %8.3f%n", ownForward,
                    ejmlForward, mtForward);
            System.out.printf(Locale.ROOT, "  weight gradient  own %8.3f   EJML %8.3f   EJML MT %8.3f%n",
                    ownWeightGradient, ejmlWeightGradient, mtWeightGradient);
            System.out.printf(Locale.ROOT, "  input gradient   own %8.3f   EJML %8.3f   EJML MT %8.3f%n",
                    ownBoth - ownWeightGradient, ejmlInputGradient, mtInputGradient);
        }
    }

    private static float[] randomValues(int count, SplittableRandom random) {
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return values;
    }

    /**
     * Median ms: with one thread, of the thread's CPU time (the work done, even on a busy shared machine, as
     * the engine and single-threaded EJML run on the calling thread); with more, of wall time.
     */
    private static double time(int repetitions, Runnable work) {
        for (int r = 0; r < Math.max(5, repetitions / 2); r++) {
            work.run();
        }
        boolean cpu = BenchArgs.threads() == 1;
        ThreadMXBean bean = ManagementFactory.getThreadMXBean();
        double[] millis = new double[repetitions];
        for (int r = 0; r < repetitions; r++) {
            long start = cpu ? bean.getCurrentThreadCpuTime() : System.nanoTime();
            work.run();
            millis[r] = ((cpu ? bean.getCurrentThreadCpuTime() : System.nanoTime()) - start) / 1e6;
        }
        Arrays.sort(millis);
        return millis[repetitions / 2];
    }

    /** Agreement relative to the largest value: sums of 100 k terms cancel, so single elements may be small. */
    private static void checkSame(String what, float[] own, float[] ejml) {
        float largest = 1f;
        for (float v : ejml) {
            largest = Math.max(largest, Math.abs(v));
        }
        for (int i = 0; i < own.length; i++) {
            if (Math.abs(own[i] - ejml[i]) > 1e-4f * largest) {
                throw new IllegalStateException(what + " differs at " + i + ": " + own[i] + " vs " + ejml[i]);
            }
        }
    }
}
