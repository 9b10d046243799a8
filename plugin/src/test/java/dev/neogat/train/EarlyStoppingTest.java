package dev.neogat.train;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EarlyStoppingTest {

    private static final int PATIENCE = 100;

    /**
     * Coauthor CS under dropout 0.6 (seed 0): validation accuracy peaks at epoch 221 with loss 1.39 and never
     * reaches that peak again, while the loss creeps down to 1.10 by epoch 980, a new low nearly every epoch.
     */
    private static List<EpochStats> creepingLoss() {
        List<EpochStats> history = new ArrayList<>();
        for (int epoch = 1; epoch <= 1000; epoch++) {
            double score;
            double loss;
            if (epoch <= 221) {
                score = 0.50 + 0.40 * epoch / 221;
                loss = 2.70 - 1.31 * epoch / 221;
            } else {
                score = epoch % 3 == 0 ? 0.896 : 0.892;
                loss = 1.39 - 0.29 * (epoch - 221) / 759.0;
            }
            history.add(epoch(epoch, score, loss));
        }
        return history;
    }

    /**
     * Cora (seed 1): the kept weights of epoch 130 change next at epoch 312, 182 epochs later, after a long
     * stretch where the loss falls while the score stays below its best; then nothing improves any more.
     */
    private static List<EpochStats> slowLearner() {
        List<EpochStats> history = new ArrayList<>();
        for (int epoch = 1; epoch <= 1000; epoch++) {
            double score;
            double loss;
            if (epoch <= 130) {
                score = 0.50 + 0.31 * epoch / 130;
                loss = 1.95 - 0.55 * epoch / 130;
            } else if (epoch < 312) {
                score = epoch % 2 == 0 ? 0.80 : 0.79;
                loss = 1.40 - 0.28 * (epoch - 130) / 182.0;
            } else if (epoch == 312) {
                score = 0.82;
                loss = 1.116;
            } else {
                score = 0.80;
                loss = 1.20;
            }
            history.add(epoch(epoch, score, loss));
        }
        return history;
    }

    private static EpochStats epoch(int epoch, double validationScore, double validationLoss) {
        return new EpochStats(epoch, 1.0, 0.5, validationLoss, validationScore, 1, 1);
    }

    @Test
    void theBoundedRuleStopsACreepingLossWithTheSameKeptWeights() {
        StoppingReplay.Outcome paper = StoppingReplay.replay(creepingLoss(), PATIENCE, StoppingRule.GAT_PAPER);
        assertFalse(paper.stoppedEarly(), "every tiny new low of the loss resets the paper's patience");
        assertEquals(1000, paper.epochsRun());
        assertEquals(221, paper.bestEpoch());

        StoppingReplay.Outcome bounded = StoppingReplay.replay(creepingLoss(), PATIENCE,
                StoppingRule.GAT_PAPER_BOUNDED);
        assertTrue(bounded.stoppedEarly());
        assertEquals(221 + StoppingRule.KEPT_WEIGHTS_PATIENCE_FACTOR * PATIENCE, bounded.epochsRun());
        assertEquals(221, bounded.bestEpoch(), "the same kept weights");
    }

    @Test
    void theBoundedRuleWaitsForASlowLearnersLateBest() {
        for (StoppingRule rule : StoppingRule.values()) {
            StoppingReplay.Outcome outcome = StoppingReplay.replay(slowLearner(), PATIENCE, rule);
            assertEquals(312, outcome.bestEpoch(), rule.name());
            assertEquals(312 + PATIENCE, outcome.epochsRun(), rule.name() + ": the paper's patience ends it");
        }
    }

    @Test
    void aBoundBelowTheSlowLearnersWaitLosesItsLateBest() {
        // Why the bound is a multiple of the patience: a bound under the 182 epochs the kept weights wait loses 312.
        int patience = 181 / StoppingRule.KEPT_WEIGHTS_PATIENCE_FACTOR;
        StoppingReplay.Outcome outcome = StoppingReplay.replay(slowLearner(), patience,
                StoppingRule.GAT_PAPER_BOUNDED);
        assertEquals(130 + StoppingRule.KEPT_WEIGHTS_PATIENCE_FACTOR * patience, outcome.epochsRun());
        assertEquals(130, outcome.bestEpoch());
        assertThat(StoppingReplay.replay(slowLearner(), patience, StoppingRule.GAT_PAPER).bestEpoch()).isEqualTo(312);
    }

    @Test
    void bothRulesKeepTheSameWeightsAndTheBoundedOneNeverStopsLater() {
        SplittableRandom random = new SplittableRandom(7);
        for (int run = 0; run < 200; run++) {
            int patience = 1 + random.nextInt(30);
            EarlyStopping paper = new EarlyStopping(patience, StoppingRule.GAT_PAPER);
            EarlyStopping bounded = new EarlyStopping(patience, StoppingRule.GAT_PAPER_BOUNDED);
            double loss = 2.0;
            boolean boundedStopped = false;
            for (int epoch = 1; epoch <= 400 && !paper.shouldStop(); epoch++) {
                // Scores on a grid of 50 nodes (ties happen), a loss that drifts down with noise.
                double score = random.nextInt(51) / 50.0;
                loss = Math.max(0.01, loss - 0.002 + 0.01 * (random.nextDouble() - 0.5));
                boolean paperKeeps = paper.record(epoch, score, loss);
                boolean boundedKeeps = bounded.record(epoch, score, loss);
                assertEquals(paperKeeps, boundedKeeps, "run " + run + " epoch " + epoch);
                assertEquals(paper.bestEpoch(), bounded.bestEpoch());
                boundedStopped |= bounded.shouldStop();
            }
            assertTrue(boundedStopped || !paper.shouldStop(), "run " + run + ": the bounded rule stopped no later");
        }
    }

    @Test
    void scoreAndLossTiesKeepTheNewerWeights() {
        EarlyStopping stopping = new EarlyStopping(5, StoppingRule.DEFAULT);
        assertTrue(stopping.record(1, 0.5, 1.0));
        assertTrue(stopping.record(2, 0.5, 1.0), "a tie on both is kept, as in the paper");
        assertFalse(stopping.record(3, 0.6, 1.1), "a better score with a higher loss is not");
        assertFalse(stopping.record(4, 0.55, 0.9), "a lower loss with a score below the best is not");
        assertTrue(stopping.record(5, 0.6, 0.9));
        assertEquals(5, stopping.bestEpoch());
    }

    @Test
    void patienceZeroNeverStops() {
        for (StoppingRule rule : StoppingRule.values()) {
            StoppingReplay.Outcome outcome = StoppingReplay.replay(creepingLoss(), 0, rule);
            assertFalse(outcome.stoppedEarly(), rule.name());
            assertEquals(221, outcome.bestEpoch(), rule.name());
        }
    }

    @Test
    void theFirstEpochIsAlwaysKept() {
        EarlyStopping stopping = new EarlyStopping(3, StoppingRule.DEFAULT);
        assertTrue(stopping.record(1, Double.NaN, Double.NaN));
        assertEquals(1, stopping.bestEpoch());
    }
}
