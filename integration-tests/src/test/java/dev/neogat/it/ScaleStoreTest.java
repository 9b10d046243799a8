package dev.neogat.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The scale benchmark's CSV (the importer's input) and its reading of the server's GC log. */
class ScaleStoreTest {

    private static final ScaleStore.Shape SHAPE = new ScaleStore.Shape(4000, 40_000, 16, 4, 1.0, 0.8, 0.2, 0.1,
            0.1, 3);

    @Test
    void csvHasTypedArrayFeaturesAPlantedClassAndLabelsOnAFraction(@TempDir Path dir) throws IOException {
        new ScaleStore(SHAPE, dir).generate(dir);
        assertThat(Files.readString(dir.resolve("nodes-header.csv"))).isEqualTo(":ID,features:float[],class:int,split\n");
        List<String> nodes = Files.readAllLines(dir.resolve("nodes.csv"));
        assertThat(nodes).hasSize(SHAPE.nodes());
        int labelled = 0;
        int train = 0;
        double[] signalMean = new double[SHAPE.classes()];
        double[] otherMean = new double[SHAPE.classes()];
        for (int i = 0; i < nodes.size(); i++) {
            String[] fields = nodes.get(i).split(",", -1);
            assertThat(fields).hasSize(4);
            assertThat(fields[0]).isEqualTo(Integer.toString(i));
            String[] features = fields[1].split(";");
            assertThat(features).hasSize(SHAPE.features());
            assertThat(fields[2].isEmpty()).isEqualTo(fields[3].isEmpty());
            if (!fields[2].isEmpty()) {
                labelled++;
                assertThat(fields[3]).isIn("train", "val", "test");
                train += fields[3].equals("train") ? 1 : 0;
                int c = Integer.parseInt(fields[2]);
                for (int f = 0; f < features.length; f++) {
                    if (f % SHAPE.classes() == c) {
                        signalMean[c] += Double.parseDouble(features[f]);
                    } else {
                        otherMean[c] += Double.parseDouble(features[f]);
                    }
                }
            }
        }
        // 40 % of the nodes labelled, half of those for training, within a few standard deviations.
        assertThat(labelled).isBetween(1450, 1750);
        assertThat(train).isBetween(680, 920);
        double signal = 0;
        double other = 0;
        for (int c = 0; c < SHAPE.classes(); c++) {
            signal += signalMean[c];
            other += otherMean[c];
        }
        int perNode = SHAPE.features() / SHAPE.classes();
        assertThat(signal / (labelled * perNode)).isBetween(0.85, 1.15);
        assertThat(other / (labelled * (SHAPE.features() - perNode))).isBetween(-0.1, 0.1);

        assertThat(Files.readString(dir.resolve("relationships-header.csv"))).isEqualTo(":START_ID,:END_ID\n");
        List<String> relationships = Files.readAllLines(dir.resolve("relationships.csv"));
        assertThat(relationships).hasSize((int) SHAPE.relationships());
        assertThat(relationships).allSatisfy(line -> {
            String[] ends = line.split(",");
            assertThat(ends).hasSize(2);
            assertThat(Integer.parseInt(ends[0])).isBetween(0, SHAPE.nodes() - 1);
            assertThat(Integer.parseInt(ends[1])).isBetween(0, SHAPE.nodes() - 1);
        });
    }

    @Test
    void heapPeakIsTheLargestOccupancyBeforeACollectionAndLiveTheLargestAfter(@TempDir Path dir) throws IOException {
        Path log = dir.resolve("gc.log");
        Files.write(log, List.of(
                "[0.012s][info][gc] Using G1",
                "[3.201s][info][gc] GC(0) Pause Young (Normal) (G1 Evacuation Pause) 51M->12M(1024M) 7.204ms",
                "[9.870s][info][gc] GC(1) Pause Young (Concurrent Start) (G1 Humongous Allocation) 870M->640M(1024M) 20.1ms",
                "[9.990s][info][gc] GC(2) Concurrent Mark Cycle 112.003ms",
                "[11.50s][info][gc] GC(3) Pause Full (G1 Compaction Pause) 1010M->990M(1024M) 850.2ms"));
        assertThat(ScaleBenchmark.peakHeap(log)).contains("peak before a collection 1010 MiB, largest after one 990 MiB, of 1024 MiB; 3 collections");
    }
}
