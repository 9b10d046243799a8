package dev.neogat.procedures.write;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What one write-back has committed so far, per property and entity kind, and how many transactions it
 * retried after transient errors: counted only after a commit returned, so a failed write can say exactly
 * what it left in the database.
 */
public final class WriteTally {

    private record Part(String kind, List<PropertyWriter.Column> columns) {
    }

    private final List<Part> parts = new ArrayList<>();
    private final AtomicLong retries = new AtomicLong();

    /** Adds the columns a phase will write on entities of {@code kind} ("nodes", "relationships"). */
    public synchronized void expect(String kind, List<PropertyWriter.Column> columns) {
        if (!columns.isEmpty()) {
            parts.add(new Part(kind, List.copyOf(columns)));
        }
    }

    public synchronized long propertiesWritten() {
        long total = 0;
        for (Part part : parts) {
            for (PropertyWriter.Column column : part.columns) {
                total += column.written();
            }
        }
        return total;
    }

    public long retries() {
        return retries.get();
    }

    long retried() {
        return retries.incrementAndGet();
    }

    /** E.g. "1200 properties were written (predicted on 1000 nodes, attention on 200 relationships)". */
    public synchronized String describe() {
        List<String> each = new ArrayList<>();
        for (Part part : parts) {
            for (PropertyWriter.Column column : part.columns) {
                each.add(column.property() + " on " + column.written() + " " + part.kind);
            }
        }
        long total = propertiesWritten();
        String text = total + (total == 1 ? " property was" : " properties were") + " written"
                + (each.isEmpty() ? "" : " (" + String.join(", ", each) + ")");
        long retried = retries.get();
        return retried == 0 ? text : text + " and " + retried + (retried == 1 ? " transaction was" : " transactions were")
                + " retried after transient errors";
    }
}
