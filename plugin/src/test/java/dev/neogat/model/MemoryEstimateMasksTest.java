package dev.neogat.model;

import dev.neogat.data.NodeLabels;
import dev.neogat.graph.IncomingCsr;
import dev.neogat.nn.AdamSettings;
import dev.neogat.nn.GatNetwork;
import dev.neogat.nn.Targets;
import dev.neogat.nn.Weights;
import dev.neogat.nn.cpu.CpuBackend;
import dev.neogat.spec.GatConfig;
import dev.neogat.testing.RandomGraphs;
import dev.neogat.util.TerminationFlag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.reflect.Field;
import java.util.Collection;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The untyped full-batch estimate's dropout-mask bytes against the mask bits the CPU backend's mask cache really
 * holds after several full-batch training steps (each step draws its masks with a new key, and the cache keeps
 * its last {@link MemoryEstimate#CPU_MASKS_KEPT}, which spans several steps of a model drawing a few a step).
 * The estimate must cover what is held (but the padding of each mask to whole 64-bit words) and lean high by at
 * most one step's masks (it counts whole steps).
 */
class MemoryEstimateMasksTest {

    @ParameterizedTest(name = "feature dropout {0}, attention dropout {1}, message dropout {2}, per head {3}")
    @CsvSource({"0.6, 0.6, 0, false", "0.5, 0.3, 0.2, false", "0.4, 0, 0.3, true", "0, 0.5, 0, false"})
    void theMaskBytesCoverWhatTheMaskCacheHoldsAfterSeveralSteps(double featureDropout, double attentionDropout,
                                                                 double messageDropout, boolean perHead) {
        int nodes = 400;
        IncomingCsr csr = RandomGraphs.graph(nodes, 2000, 3, true);
        GatConfig config = GatConfig.builder(24, 5).hiddenHeads(4).hiddenChannels(6).featureDropout(featureDropout)
                .attentionDropout(attentionDropout).messageDropout(messageDropout).inputDropoutPerHead(perHead)
                .normalizeFeatures(false).build();
        SplittableRandom random = new SplittableRandom(11);
        float[] x = new float[nodes * config.inputDim()];
        int[] classOf = new int[nodes];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextDouble();
        }
        for (int i = 0; i < nodes; i++) {
            classOf[i] = random.nextInt(config.classCount());
        }
        int[] train = new int[nodes / 2];
        for (int i = 0; i < train.length; i++) {
            train[i] = 2 * i;
        }
        try (CpuBackend backend = new CpuBackend(1, TerminationFlag.RUNNING)) {
            GatNetwork network = new GatNetwork(backend, config, Weights.initialize(config, 5), backend.upload(csr),
                    backend.upload(x, nodes, config.inputDim()));
            Targets targets = backend.upload(NodeLabels.singleLabel(classOf, config.classCount()), train);
            // Enough steps that the cache is full whatever the model draws a step (at least one mask a step here).
            for (int step = 1; step <= MemoryEstimate.CPU_MASKS_KEPT + 1; step++) {
                network.forward(true, 42, step);
                network.lossAndGradients(targets);
                network.adamStep(AdamSettings.of(0.01, 5e-4));
            }
            MemoryEstimate estimate = MemoryEstimate.of(config, nodes, csr.slotCount(), csr.originalEdgeCount(),
                    (long) nodes * config.inputDim(), false, true);
            long held = maskBytesHeld(backend);
            long step = oneStepsMaskBytes(config, nodes, csr.slotCount());
            System.out.printf(java.util.Locale.ROOT, "untyped masks (dropout %s/%s/%s, per head %s): %d bytes held by "
                            + "the mask cache, %d estimated, one step's %d%n", featureDropout, attentionDropout,
                    messageDropout, perHead, held, estimate.maskBytes(), step);
            assertTrue(held > step, "the cache holds more than one step's masks: " + held + " vs " + step);
            // The cache stores each mask in whole 64-bit words, up to 8 bytes a mask above the bits it counts.
            long wordPadding = 8L * MemoryEstimate.CPU_MASKS_KEPT;
            assertTrue(estimate.maskBytes() >= held - wordPadding, () -> "estimated " + estimate.maskBytes()
                    + " mask bytes, the cache holds " + held);
            assertTrue(estimate.maskBytes() <= held + step,
                    () -> "estimated " + estimate.maskBytes() + " mask bytes, the cache holds " + held
                            + ", one step draws " + step);
            assertEquals(0, MemoryEstimate.of(config, nodes, csr.slotCount(), csr.originalEdgeCount(),
                    (long) nodes * config.inputDim(), false, false).maskBytes(), "inference draws no masks");
        }
    }

    /** The bits one training step draws, counted from the model (each mask one bit an element it covers). */
    private static long oneStepsMaskBytes(GatConfig config, long nodes, long slots) {
        long bits = 0;
        for (int l = 0; l < config.layerCount(); l++) {
            long heads = config.heads(l);
            long inputMasks = config.inputDropoutPerHead() ? heads : 1;
            bits += config.featureDropout() > 0 ? nodes * config.inputDim(l) * inputMasks : 0;
            bits += config.attentionDropout() > 0 ? slots * heads : 0;
            bits += config.messageDropout() > 0 ? nodes * config.layer(l).width() : 0;
        }
        return bits / 8;
    }

    /** Bytes of the mask bits the CPU backend's mask cache holds. */
    private static long maskBytesHeld(CpuBackend backend) {
        try {
            Object cache = field(CpuBackend.class, "masks").get(backend);
            Collection<?> entries = (Collection<?>) field(cache.getClass(), "entries").get(cache);
            long bytes = 0;
            for (Object bits : entries) {
                bytes += 8L * ((long[]) field(bits.getClass(), "words").get(bits)).length;
            }
            return bytes;
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Field field(Class<?> type, String name) throws NoSuchFieldException {
        Field field = type.getDeclaredField(name);
        field.setAccessible(true);
        return field;
    }
}
