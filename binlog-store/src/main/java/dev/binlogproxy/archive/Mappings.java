package dev.binlogproxy.archive;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;

/**
 * Unmapping a file mapping at once rather than whenever the collector finds it unreachable: a purged file's disk
 * space comes back only when its last mapping goes, and a reader maps a few MB at a time through every file it
 * reads. {@code sun.misc.Unsafe.invokeCleaner} (jdk.unsupported, opened to all modules) is the one way on JDK 17;
 * without it readers do not map at all ({@link #AVAILABLE}).
 */
final class Mappings {
    private static final Object UNSAFE;
    private static final Method INVOKE_CLEANER;
    /** Whether mappings can be released on demand; if not, readers read with pread only. */
    static final boolean AVAILABLE;

    static {
        Object unsafe = null;
        Method m = null;
        try {
            Class<?> c = Class.forName("sun.misc.Unsafe");
            Field f = c.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            unsafe = f.get(null);
            m = c.getMethod("invokeCleaner", ByteBuffer.class);
        } catch (ReflectiveOperationException | RuntimeException e) {
            unsafe = null;
            m = null;
        }
        UNSAFE = unsafe;
        INVOKE_CLEANER = m;
        AVAILABLE = m != null;
    }

    private Mappings() {
    }

    /** Unmaps {@code buffer} (the buffer FileChannel.map returned, never a slice); it must not be touched after. */
    static void unmap(MappedByteBuffer buffer) {
        if (!AVAILABLE || buffer == null) {
            return;
        }
        try {
            INVOKE_CLEANER.invoke(UNSAFE, buffer);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // left to the collector: correct, only later
        }
    }
}
