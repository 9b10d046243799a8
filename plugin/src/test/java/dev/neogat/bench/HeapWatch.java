package dev.neogat.bench;

import com.sun.management.GarbageCollectionNotificationInfo;

import javax.management.NotificationEmitter;
import javax.management.openmbean.CompositeData;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The benchmarks' heap readings: the heap pools' summed peaks (an upper bound of the live peak, since the pools peak
 * at different times and hold garbage) and the most heap still in use after a collection (a lower bound of it).
 */
final class HeapWatch {

    private static final AtomicLong AFTER_GC_PEAK = new AtomicLong();
    private static boolean watching;

    private HeapWatch() {
    }

    /** Collects, resets both peaks, and returns the heap in use now. */
    static synchronized long reset() {
        if (!watching) {
            watchCollections();
            watching = true;
        }
        System.gc();
        AFTER_GC_PEAK.set(0);
        long used = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                pool.resetPeakUsage();
                used += pool.getUsage().getUsed();
            }
        }
        return used;
    }

    /** Sum of the heap pools' peak usage since the last {@link #reset()}. */
    static long poolsPeak() {
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                peak += pool.getPeakUsage().getUsed();
            }
        }
        return peak;
    }

    /** The most heap in use after a collection since the last {@link #reset()} (0 when none ran). */
    static long liveAfterCollection() {
        return AFTER_GC_PEAK.get();
    }

    private static void watchCollections() {
        Set<String> heapPools = new HashSet<>();
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                heapPools.add(pool.getName());
            }
        }
        for (GarbageCollectorMXBean collector : ManagementFactory.getGarbageCollectorMXBeans()) {
            ((NotificationEmitter) collector).addNotificationListener((notification, handback) -> {
                if (GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(notification.getType())) {
                    GarbageCollectionNotificationInfo info = GarbageCollectionNotificationInfo.from(
                            (CompositeData) notification.getUserData());
                    long used = 0;
                    for (Map.Entry<String, MemoryUsage> pool : info.getGcInfo().getMemoryUsageAfterGc().entrySet()) {
                        used += heapPools.contains(pool.getKey()) ? pool.getValue().getUsed() : 0;
                    }
                    AFTER_GC_PEAK.accumulateAndGet(used, Math::max);
                }
            }, null, null);
        }
    }
}
