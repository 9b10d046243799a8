package dev.neogat.bench;

import dev.neogat.nn.cpu.CpuBackend;
import dev.neogat.train.Trainer;
import dev.neogat.train.TrainingConfig;
import dev.neogat.train.TrainingListener;
import dev.neogat.train.TrainingResult;
import dev.neogat.train.TypedSignalGraph;
import dev.neogat.train.TypedTrainer;
import dev.neogat.train.TypedTrainingResult;
import dev.neogat.util.TerminationFlag;

import java.util.List;
import java.util.Locale;

/**
 * Issue 17's generated typed graph ({@link TypedSignalGraph}): test accuracy of the typed model with the
 * relationship property in attention, the typed model without it, and the untyped model (features zero-padded,
 * the property on every relationship), per seed, with each run's training time. 2 layers, 4 heads of 8 hidden
 * channels, dropout 0.2, Adam lr 0.01, weight decay 5e-4, at most {@code epochs} epochs with patience 100; the
 * best-validation weights are kept.
 * Run: {@code mvn -q -pl plugin -Pbench verify -Dbench.main=dev.neogat.bench.TypedSignalBenchmark
 * -Dbench.args="items=1000 seeds=1,2,3 epochs=200"}.
 */
public final class TypedSignalBenchmark {

    public static void main(String[] args) {
        int items = 1000;
        int epochs = 200;
        List<Long> seeds = List.of(1L);
        for (String word : BenchArgs.words(args)) {
            if (word.startsWith("items=")) {
                items = Integer.parseInt(word.substring(6));
            } else if (word.startsWith("epochs=")) {
                epochs = Integer.parseInt(word.substring(7));
            } else if (word.startsWith("seeds=")) {
                seeds = java.util.Arrays.stream(word.substring(6).split(",")).map(Long::parseLong).toList();
            } else {
                throw new IllegalArgumentException("Unknown argument '" + word + "'; expected items=, epochs=, seeds=");
            }
        }
        int threads = BenchArgs.threads();
        System.out.printf(Locale.ROOT, "generated typed graph: %d items, %d threads, %d epochs at most%n", items,
                threads, epochs);
        System.out.println("seed  typed+property  typed  untyped  (test accuracy; training seconds)");
        for (long seed : seeds) {
            TypedSignalGraph generated = new TypedSignalGraph(items, seed);
            TrainingConfig training = new TrainingConfig(epochs, 0.01, 5e-4, 100, seed);
            try (CpuBackend backend = new CpuBackend(threads, TerminationFlag.RUNNING)) {
                TypedTrainingResult withProperty = TypedTrainer.train(backend, generated.typed(),
                        generated.config(true, 4).build(), training, TrainingListener.NONE, TerminationFlag.RUNNING);
                TypedTrainingResult without = TypedTrainer.train(backend, generated.typedWithoutRelationshipFeatures(),
                        generated.config(false, 4).build(), training, TrainingListener.NONE, TerminationFlag.RUNNING);
                TrainingResult untyped = Trainer.train(backend, generated.untyped(), generated.untypedConfig(4),
                        training, TrainingListener.NONE, TerminationFlag.RUNNING);
                System.out.printf(Locale.ROOT, "%4d  %.3f (%.1f s)  %.3f (%.1f s)  %.3f (%.1f s)%n", seed,
                        withProperty.test().score(), withProperty.trainMillis() / 1e3, without.test().score(),
                        without.trainMillis() / 1e3, untyped.test().score(), untyped.trainMillis() / 1e3);
            }
        }
    }
}
