package dev.binlogproxy.proxy.metrics;

import dev.binlogproxy.archive.ArchivedFile;
import dev.binlogproxy.archive.BinlogArchive;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The archive's meters, named binlog_proxy_archive_*, read when scraped. The archive (binlog-store) has no meters
 * of its own: the application measures it from outside.
 */
public final class ArchiveMetrics {
    private ArchiveMetrics() {
    }

    public static void register(MeterRegistry registry, BinlogArchive archive) {
        Gauge.builder("binlog_proxy_archive_size", archive, a -> a.files().stream().mapToLong(ArchivedFile::size).sum())
                .baseUnit("bytes").description("bytes of binlog files in the archive").register(registry);
        Gauge.builder("binlog_proxy_archive_files", archive, a -> a.files().size())
                .description("binlog files in the archive").register(registry);
        Gauge.builder("binlog_proxy_archive_epochs", archive, a -> a.epochs().size())
                .description("masters the archive has followed (1 + committed failovers)").register(registry);
        Gauge.builder("binlog_proxy_archive_free_bytes", archive, BinlogArchive::freeBytes).baseUnit("bytes")
                .description("free space on the archive's file systems (appends stop below archive.minFreeSpace)")
                .register(registry);
    }
}
