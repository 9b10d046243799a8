package dev.neogat.tune;

import dev.neogat.train.TrainingListener;
import dev.neogat.util.TerminatedException;
import dev.neogat.util.TerminationFlag;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** What the untyped and typed autoTune tests both listen with, and how both compare two searches. */
final class TuneListeners {

    private TuneListeners() {
    }

    /**
     * Records "start k/n", "seed k.r/m s" (run r of m, seed s; only when a trial runs several seeds), "end k" and
     * "final k" in {@code events}, in the order the search calls them.
     */
    static TuneListener recording(List<String> events) {
        return new TuneListener() {
            @Override
            public void onTrialStart(int trial, int maxTrials, Map<String, Object> configuration) {
                events.add("start " + trial + "/" + maxTrials);
            }

            @Override
            public void onRunStart(int trial, int run, int runs, long seed) {
                if (runs > 1) {
                    events.add("seed " + trial + "." + run + "/" + runs + " " + seed);
                }
            }

            @Override
            public void onTrialEnd(Trial trial, int maxTrials) {
                events.add("end " + trial.number());
            }

            @Override
            public void onFinalTraining(Trial chosen) {
                events.add("final " + chosen.number());
            }
        };
    }

    /**
     * {@code search} (a search of several trials with the listener and termination flag given) stops with
     * {@link TerminatedException} when terminated after the first trial, and when terminated at the third epoch of
     * the first trial, no epoch later.
     */
    static void assertTerminatesBetweenAndInsideTrials(BiConsumer<TuneListener, TerminationFlag> search) {
        AtomicBoolean stop = new AtomicBoolean();
        TuneListener afterFirst = new TuneListener() {
            @Override
            public void onTrialEnd(Trial trial, int maxTrials) {
                stop.set(true);
            }
        };
        assertThrows(TerminatedException.class, () -> search.accept(afterFirst, stop::get));

        AtomicBoolean inside = new AtomicBoolean();
        int[] epochs = {0};
        TuneListener midTrial = new TuneListener() {
            @Override
            public TrainingListener epochs() {
                return (stats, max) -> {
                    if (++epochs[0] == 3) {
                        inside.set(true);
                    }
                };
            }
        };
        assertThrows(TerminatedException.class, () -> search.accept(midTrial, inside::get));
        assertEquals(3, epochs[0]);
    }

    /** What each trial of {@code search} says (its runs' too) apart from wall-clock times. */
    static List<Map<String, Object>> withoutTimes(AutoTuner.Search search) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Trial trial : search.trials()) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("trial", trial.number());
            row.put("configuration", trial.configuration());
            row.put("validationScore", trial.validationScore());
            row.put("validationLoss", trial.validationLoss());
            row.put("trainScore", trial.trainScore());
            row.put("epochs", trial.epochsRun());
            row.put("bestEpoch", trial.bestEpoch());
            row.put("stopReason", trial.stopReason());
            row.put("runs", trial.runs().stream().map(run -> List.of(run.seed(), run.validationScore(),
                    run.validationLoss(), run.trainScore(), run.epochsRun(), run.bestEpoch(), run.stopReason()))
                    .toList());
            rows.add(row);
        }
        return rows;
    }
}
