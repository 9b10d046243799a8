package dev.neogat.util;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DropoutMaskTest {

    private static final long KEY = CounterRng.streamKey(42, 7, 1, 0);

    @Test
    void aMaskOverGatheredRowsDropsWhatTheWholeTensorDrops() {
        DropoutMask whole = new DropoutMask(KEY, 0.4);
        int[] rowIds = {9, 2, 2, 40};
        int width = 7;
        DropoutMask gathered = DropoutMask.overRows(KEY, 0.4, rowIds, width);
        for (int r = 0; r < rowIds.length; r++) {
            for (int c = 0; c < width; c++) {
                assertEquals(whole.keep(rowIds[r] * width + c), gathered.keep(r * width + c), "row " + r + ", col " + c);
                assertEquals(whole.keepBit(rowIds[r] * width + c), gathered.keepBit(r * width + c));
            }
        }
        assertNull(DropoutMask.overRows(KEY, 0, rowIds, width));
    }

    @Test
    void sameKeyAndIndexGiveTheSameBitsAndMaskBit() {
        DropoutMask a = new DropoutMask(KEY, 0.5);
        DropoutMask b = new DropoutMask(KEY, 0.5);
        for (int i = 0; i < 100_000; i++) {
            assertEquals(CounterRng.bits(KEY, i), CounterRng.bits(KEY, i));
            assertEquals(a.keep(i), b.keep(i), "mask bit " + i);
        }
        // Order of evaluation does not matter: read backwards and compare.
        boolean[] forward = new boolean[1000];
        for (int i = 0; i < forward.length; i++) {
            forward[i] = a.keep(i);
        }
        for (int i = forward.length - 1; i >= 0; i--) {
            assertEquals(forward[i], a.keep(i));
        }
    }

    @Test
    void differentKeysGiveDifferentMasks() {
        int n = 100_000;
        long[] keys = {KEY, KEY + 1, KEY ^ (1L << 32), CounterRng.streamKey(42, 8, 1, 0), 0L, -1L};
        for (int k = 0; k < keys.length; k++) {
            for (int l = k + 1; l < keys.length; l++) {
                DropoutMask a = new DropoutMask(keys[k], 0.5);
                DropoutMask b = new DropoutMask(keys[l], 0.5);
                int differing = 0;
                for (int i = 0; i < n; i++) {
                    if (a.keep(i) != b.keep(i)) {
                        differing++;
                    }
                }
                // Independent masks with p = 0.5 differ on half the elements.
                double fraction = (double) differing / n;
                assertEquals(0.5, fraction, 0.01, "keys " + keys[k] + " and " + keys[l]);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(doubles = {0.1, 0.5, 0.6, 0.9})
    void keepRateOverAMillionIndicesIsOneMinusP(double p) {
        for (long key : new long[]{KEY, 12345L}) {
            DropoutMask mask = new DropoutMask(key, p);
            int n = 1_000_000;
            int kept = 0;
            for (int i = 0; i < n; i++) {
                if (mask.keep(i)) {
                    kept++;
                }
            }
            assertEquals(1 - p, (double) kept / n, 0.003, "keep rate for p=" + p + ", key " + key);
        }
    }

    @ParameterizedTest
    @ValueSource(doubles = {0.1, 0.5, 0.6, 0.9, 1e-9, 0.999999})
    void elementIsKeptExactlyWhenItsUniformIsAtLeastP(double p) {
        DropoutMask mask = new DropoutMask(KEY, p);
        for (int i = 0; i < 200_000; i++) {
            assertEquals(CounterRng.uniform(KEY, i) >= p, mask.keep(i), "element " + i);
        }
    }

    @Test
    void elementWhoseUniformEqualsPIsKeptAndOneStepAboveIsDropped() {
        // p set exactly to an element's own uniform (a multiple of 2^-24) is the boundary of "at least p".
        int checked = 0;
        for (int i = 0; i < 2000; i++) {
            double u = CounterRng.uniform(KEY, i);
            if (u == 0) {
                continue;
            }
            assertTrue(new DropoutMask(KEY, u).keep(i), "element " + i + " with p equal to its uniform " + u);
            // Any p above u, even by less than one 24-bit step, drops the element.
            assertFalse(new DropoutMask(KEY, u + 0x1p-26).keep(i), "element " + i + " with p just above " + u);
            double stepAbove = u + 0x1p-24;
            if (stepAbove < 1) {
                assertFalse(new DropoutMask(KEY, stepAbove).keep(i), "element " + i + " with p one step above");
            }
            checked++;
        }
        assertTrue(checked > 1900);
    }

    @ParameterizedTest
    @ValueSource(doubles = {0.1, 0.5, 0.6, 0.9})
    void scaleIsOneOverOneMinusP(double p) {
        DropoutMask mask = new DropoutMask(KEY, p);
        assertEquals(1.0 / (1.0 - p), mask.scale(), 0.0);
        assertEquals(p, mask.probability(), 0.0);
        assertEquals(KEY, mask.key());
    }

    @Test
    void scaleOfKnownProbabilities() {
        assertEquals(2.0, new DropoutMask(1, 0.5).scale(), 0.0);
        assertEquals(10.0, new DropoutMask(1, 0.9).scale(), 1e-12);
        assertEquals(2.5, new DropoutMask(1, 0.6).scale(), 1e-15);
    }

    @Test
    void thresholdIsTheProbabilityOnTwentyFourBits() {
        assertEquals(1 << 23, new DropoutMask(1, 0.5).threshold());
        assertEquals(1 << 22, new DropoutMask(1, 0.25).threshold());
        assertEquals(1, new DropoutMask(1, 1e-12).threshold());
    }

    @ParameterizedTest
    @ValueSource(doubles = {0.0, -0.0, 1.0, -0.1, 1.5, Double.NaN, Double.POSITIVE_INFINITY,
            Double.NEGATIVE_INFINITY})
    void probabilityOutsideTheOpenUnitIntervalIsRejectedByTheConstructor(double p) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new DropoutMask(KEY, p));
        assertTrue(e.getMessage().contains("got " + p), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(doubles = {1.0, -0.1, 1.5, Double.NaN})
    void ofRejectsProbabilitiesOtherThanZeroOutsideTheOpenUnitInterval(double p) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DropoutMask.of(KEY, p));
        assertTrue(e.getMessage().contains("got " + p), e.getMessage());
    }

    @Test
    void ofZeroIsNullAndOfPositiveIsAMask() {
        assertNull(DropoutMask.of(KEY, 0));
        assertNull(DropoutMask.of(KEY, -0.0));
        DropoutMask mask = DropoutMask.of(KEY, 0.3);
        assertNotNull(mask);
        assertEquals(0.3, mask.probability(), 0.0);
        assertEquals(KEY, mask.key());
    }

    @Test
    void uniformLiesInTheHalfOpenUnitIntervalOnTwentyFourBits() {
        for (int i = 0; i < 100_000; i++) {
            double u = CounterRng.uniform(KEY, i);
            assertTrue(u >= 0 && u < 1, "uniform " + u + " at " + i);
            assertEquals(u, Math.scalb(Math.floor(Math.scalb(u, 24)), -24), 0.0, "more than 24 bits at " + i);
        }
    }

    @Test
    void streamKeyChangesWhenAnyOfItsFourInputsChanges() {
        long[][] bases = {{0, 0, 0, 0}, {42, 7, 1, 0}, {-1, 1000, 3, 2}, {Long.MAX_VALUE, Long.MIN_VALUE, 0, 1}};
        long[] deltas = {1, -1, 2, 1L << 32, Long.MIN_VALUE};
        for (long[] base : bases) {
            long reference = CounterRng.streamKey(base[0], base[1], base[2], base[3]);
            assertEquals(reference, CounterRng.streamKey(base[0], base[1], base[2], base[3]), "not deterministic");
            for (int which = 0; which < 4; which++) {
                for (long delta : deltas) {
                    long[] changed = base.clone();
                    changed[which] += delta;
                    long key = CounterRng.streamKey(changed[0], changed[1], changed[2], changed[3]);
                    assertNotEquals(reference, key,
                            "changing input " + which + " by " + delta + " of " + java.util.Arrays.toString(base));
                }
            }
        }
    }

    @Test
    void streamKeysOfATrainingRunAreDistinct() {
        // (seed, step, layer, purpose) over a realistic grid: no two coincide, so no two masks repeat.
        Set<Long> keys = new HashSet<>();
        int count = 0;
        for (long seed = 0; seed < 4; seed++) {
            for (long step = 0; step < 500; step++) {
                for (long layer = 0; layer < 4; layer++) {
                    for (long purpose = 0; purpose < 3; purpose++) {
                        keys.add(CounterRng.streamKey(seed, step, layer, purpose));
                        count++;
                    }
                }
            }
        }
        assertEquals(count, keys.size());
    }

    @Test
    void swappingInputsChangesTheStreamKey() {
        assertNotEquals(CounterRng.streamKey(1, 2, 3, 4), CounterRng.streamKey(2, 1, 3, 4));
        assertNotEquals(CounterRng.streamKey(1, 2, 3, 4), CounterRng.streamKey(1, 3, 2, 4));
        assertNotEquals(CounterRng.streamKey(1, 2, 3, 4), CounterRng.streamKey(1, 2, 4, 3));
        assertNotEquals(CounterRng.streamKey(0, 0, 0, 1), CounterRng.streamKey(0, 0, 1, 0));
    }
}
