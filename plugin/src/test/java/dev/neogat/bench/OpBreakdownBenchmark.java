package dev.neogat.bench;

import dev.neogat.datasets.Dataset;
import dev.neogat.datasets.PlanetoidCsv;
import dev.neogat.datasets.SyntheticGraphs;
import dev.neogat.spec.GatConfig;
import dev.neogat.nn.AdamSettings;
import dev.neogat.nn.Backend;
import dev.neogat.nn.GatNetwork;
import dev.neogat.nn.Targets;
import dev.neogat.nn.Weights;
import dev.neogat.nn.cpu.CpuBackend;
import dev.neogat.testing.SharedData;
import dev.neogat.util.TerminationFlag;

/**
 * Where a training step (and an inference forward) spends its time, per backend operation, for the GAT
 * paper's model on Cora ({@code cora}, the default) or on issue 14's dense shape ({@code dense}:
 * {@link SyntheticGraphs.Spec#denseWords}). A second word, {@code per-head} or {@code shared}, overrides the
 * model's input-dropout masks.
 * Run: {@code mvn -q -pl plugin -Pbench verify -Dbench.main=dev.neogat.bench.OpBreakdownBenchmark
 * -Dbench.args="dense shared"}
 */
public final class OpBreakdownBenchmark {

    public static void main(String[] args) throws Exception {
        String[] words = BenchArgs.words(args);
        String name = words.length > 0 ? words[0] : "cora";
        Dataset data = switch (name) {
            case "cora" -> PlanetoidCsv.load(SharedData.sharedDir().resolve("datasets/cora"));
            case "dense" -> SyntheticGraphs.generate(SyntheticGraphs.Spec.denseWords(1));
            default -> throw new IllegalArgumentException("Unknown dataset '" + name + "'; expected cora or dense");
        };
        GatConfig config = AccuracyBenchmark.paperConfig(data);
        String masks = "the model's input dropout";
        if (words.length > 1) {
            boolean perHead = switch (words[1]) {
                case "per-head" -> true;
                case "shared" -> false;
                default -> throw new IllegalArgumentException("Unknown input dropout '" + words[1]
                        + "'; expected per-head or shared");
            };
            config = config.toBuilder().inputDropoutPerHead(perHead).build();
            masks = words[1] + " input dropout";
        }
        boolean dense = name.equals("dense");
        int threads = BenchArgs.threads();
        try (CpuBackend cpu = new CpuBackend(threads, TerminationFlag.RUNNING)) {
            TimedBackend timed = TimedBackend.wrap(cpu);
            Backend backend = timed.backend();
            GatNetwork network = new GatNetwork(backend, config, Weights.initialize(config, 1),
                    backend.upload(data.undirectedGraph()), backend.upload(data.features().rowNormalized()));
            Targets train = backend.upload(data.labels(), data.split().train());
            AdamSettings adam = AdamSettings.of(0.005, 5e-4);
            int warmup = dense ? 20 : 300;
            int steps = dense ? 30 : 300;
            for (int step = 1; step <= warmup + steps; step++) {
                if (step == warmup + 1) {
                    timed.reset();
                }
                network.forward(true, 1, step);
                network.lossAndGradients(train);
                network.adamStep(adam);
                network.forward();
            }
            System.out.println(name + ", " + masks + ", " + threads
                    + " threads, ms per training step + inference forward:");
            System.out.print(timed.report(steps));
        }
    }
}
