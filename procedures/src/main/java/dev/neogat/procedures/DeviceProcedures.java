package dev.neogat.procedures;

import dev.neogat.gpu.GpuProbe;
import org.neo4j.procedure.Description;
import org.neo4j.procedure.Mode;
import org.neo4j.procedure.Procedure;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** {@code gat.devices}. */
public class DeviceProcedures {

    /** A place a job can run. */
    public static final class DeviceRow {
        public String device;
        public String name;
        public boolean usable;
        public Long memoryBytes;
        public Long freeMemoryBytes;
        public String computeCapability;
        public String reason;
    }

    @Procedure(name = "gat.devices", mode = Mode.READ)
    @Description("Lists where gat.* jobs can run: the CPU (its threads and the heap) and every GPU CUDA reports (name, "
            + "memory, free memory, compute capability), with the reason a GPU cannot be used; without any GPU, one "
            + "row says why. device: 'auto' picks a usable GPU with enough free memory, else the CPU.")
    public Stream<DeviceRow> devices() {
        List<DeviceRow> rows = new ArrayList<>();
        Runtime runtime = Runtime.getRuntime();
        DeviceRow cpu = new DeviceRow();
        cpu.device = "cpu";
        cpu.name = runtime.availableProcessors() + " threads";
        cpu.usable = true;
        cpu.memoryBytes = runtime.maxMemory();
        cpu.freeMemoryBytes = runtime.maxMemory() - runtime.totalMemory() + runtime.freeMemory();
        rows.add(cpu);
        GpuProbe.Status status = GpuProbe.status();
        if (status.devices().isEmpty()) {
            DeviceRow none = new DeviceRow();
            none.device = "gpu";
            none.usable = false;
            none.reason = status.reason();
            rows.add(none);
        }
        for (GpuProbe.GpuInfo gpu : status.devices()) {
            DeviceRow row = new DeviceRow();
            row.device = "gpu:" + gpu.ordinal();
            row.name = gpu.name();
            row.usable = gpu.usable();
            row.memoryBytes = gpu.totalMemory();
            row.freeMemoryBytes = gpu.usable() ? GpuProbe.device(gpu.ordinal()).freeMemory() : null;
            row.computeCapability = gpu.computeCapability();
            row.reason = gpu.usable() ? null : gpu.reason();
            rows.add(row);
        }
        return rows.stream();
    }
}
