package dev.neogat.bench;

import dev.neogat.datasets.Dataset;
import dev.neogat.datasets.PlanetoidCsv;
import dev.neogat.model.GatConfig;
import dev.neogat.nn.AdamSettings;
import dev.neogat.nn.Backend;
import dev.neogat.nn.GatNetwork;
import dev.neogat.nn.Targets;
import dev.neogat.nn.Weights;
import dev.neogat.nn.cpu.CpuBackend;
import dev.neogat.testing.SharedData;
import dev.neogat.util.TerminationFlag;

/**
 * Where a Cora training step spends its time, per backend operation.
 * Run: {@code mvn -q -pl plugin -Pbench verify -Dbench.main=dev.neogat.bench.OpBreakdownBenchmark}
 */
public final class OpBreakdownBenchmark {

    public static void main(String[] args) throws Exception {
        Dataset cora = PlanetoidCsv.load(SharedData.sharedDir().resolve("datasets/cora"));
        GatConfig config = AccuracyBenchmark.paperConfig(cora);
        int threads = BenchArgs.threads();
        try (CpuBackend cpu = new CpuBackend(threads, TerminationFlag.RUNNING)) {
            TimedBackend timed = TimedBackend.wrap(cpu);
            Backend backend = timed.backend();
            GatNetwork network = new GatNetwork(backend, config, Weights.initialize(config, 1),
                    backend.upload(cora.undirectedGraph()), backend.upload(cora.features().rowNormalized()));
            Targets train = backend.upload(cora.labels(), cora.split().train());
            AdamSettings adam = AdamSettings.of(0.005, 5e-4);
            int warmup = 300;
            int steps = 300;
            for (int step = 1; step <= warmup + steps; step++) {
                if (step == warmup + 1) {
                    timed.reset();
                }
                network.forward(true, 1, step);
                network.lossAndGradients(train);
                network.adamStep(adam);
                network.forward();
            }
            System.out.println("Cora, " + threads + " threads, per training step + inference forward:");
            System.out.print(timed.report(steps));
        }
    }
}
