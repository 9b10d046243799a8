package dev.neogat.gpu;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The PTX the plugin ships against the CUDA C it comes from: every kernel is in it, it targets compute
 * capability 7.5 with PTX ISA 8.0 (drivers from CUDA 12.0 on), and where nvcc exists the PTX the build
 * just compiled equals the committed one and ptxas assembles the committed one.
 */
class PtxSyncTest {

    private static final Path SOURCE = Paths.get("src/main/cuda/gat_kernels.cu");
    private static final Path COMMITTED = Paths.get("src/main/resources/dev/neogat/gpu/gat_kernels.ptx");
    private static final Path BUILT = Paths.get("target/generated-ptx/gat_kernels.ptx");
    private static final String UPDATE = "bash plugin/src/main/cuda/compile-ptx.sh "
            + "plugin/src/main/resources/dev/neogat/gpu/gat_kernels.ptx";

    @Test
    void committedPtxHasEveryKernelForComputeCapability75AndIsa80() throws IOException {
        String ptx = Files.readString(COMMITTED);
        assertThat(ptx).contains("\n.version 8.0\n").contains("\n.target sm_75\n");
        Matcher kernel = Pattern.compile("extern \"C\" __global__ void (\\w+)\\(").matcher(Files.readString(SOURCE));
        List<String> kernels = new ArrayList<>();
        while (kernel.find()) {
            kernels.add(kernel.group(1));
        }
        assertThat(kernels).hasSizeGreaterThan(25);
        for (String name : kernels) {
            assertThat(ptx).as("kernel %s in the committed PTX (regenerate: %s)", name, UPDATE)
                    .contains(".visible .entry " + name + "(");
        }
        assertThat(GpuProbe.kernelsPtx()).as("the PTX resource on the classpath").isEqualTo(ptx);
    }

    @Test
    void committedPtxEqualsTheOneNvccBuilt() throws IOException {
        assumeTrue(Files.exists(BUILT), "nvcc is not on the PATH, so the build compiled no PTX to compare with");
        assertThat(withoutComments(Files.readString(COMMITTED)))
                .as("committed PTX vs the one compiled from %s; if the source changed, run: %s", SOURCE, UPDATE)
                .isEqualTo(withoutComments(Files.readString(BUILT)));
    }

    @Test
    void ptxasAssemblesTheCommittedPtx() throws Exception {
        Path output = Files.createTempFile("gat_kernels", ".cubin");
        try {
            Process process;
            try {
                process = new ProcessBuilder("ptxas", "-arch=sm_75", COMMITTED.toString(), "-o", output.toString())
                        .redirectErrorStream(true).start();
            } catch (IOException e) {
                assumeTrue(false, "ptxas is not on the PATH (" + e.getMessage() + ")");
                return;
            }
            String log = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(process.waitFor(2, TimeUnit.MINUTES)).isTrue();
            assertThat(process.exitValue()).as("ptxas output: %s", log).isZero();
            assertThat(Files.size(output)).isPositive();
        } finally {
            Files.deleteIfExists(output);
        }
    }

    /** The PTX without its comment lines (they name the compiler build). */
    private static String withoutComments(String ptx) {
        StringBuilder kept = new StringBuilder();
        for (String line : ptx.split("\n")) {
            if (!line.stripLeading().startsWith("//")) {
                kept.append(line).append('\n');
            }
        }
        return kept.toString();
    }
}
