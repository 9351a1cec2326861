package dev.binlogproxy.upstream;

import dev.binlogproxy.binlog.position.BinlogPosition;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SemiSyncChainTest {

    @Test
    void aTransactionIsCoveredOnceNReplicasAckedItOrLaterInFileOrder() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        SemiSyncChain chain = new SemiSyncChain(2, Duration.ofMillis(100), registry);
        BinlogPosition t = new BinlogPosition("mysql-bin.000002", 1000);
        assertFalse(chain.covered(t));
        chain.downstreamAcked(11, "mysql-bin.000002", 5000); // cumulative: covers every transaction before it
        assertFalse(chain.covered(t), "one replica of two");
        chain.downstreamAcked(12, "mysql-bin.000001", 900_000); // an earlier file, however large the offset
        assertFalse(chain.covered(t));
        chain.downstreamAcked(12, "mysql-bin.000002", 1000); // exactly the transaction's end
        assertTrue(chain.covered(t));
        chain.downstreamAcked(12, "mysql-bin.000001", 4); // a late, older ack never moves a replica back
        assertTrue(chain.covered(t));
        assertEquals(new BinlogPosition("mysql-bin.000002", 1000), chain.ackedPosition(12).orElseThrow());
        assertEquals(4.0, registry.get("binlog_proxy_semisync_chain_downstream_acks").counter().count());
    }

    @Test
    void aTimeoutSwitchesTheChainOffOnceAndBackOn() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        SemiSyncChain chain = new SemiSyncChain(1, Duration.ofMillis(100), registry);
        assertEquals(1.0, registry.get("binlog_proxy_semisync_chain_on").gauge().value());
        BinlogPosition p = new BinlogPosition("b.000001", 400);
        chain.timedOut(p, 101_000_000L);
        assertFalse(chain.on());
        assertEquals(0.0, registry.get("binlog_proxy_semisync_chain_on").gauge().value());
        assertEquals(1, chain.timeoutCount());
        chain.switchOn(p);
        assertTrue(chain.on());
        chain.waited(5_000_000L);
        assertEquals(1, registry.get("binlog_proxy_semisync_chain_wait").timer().count());
        assertEquals(1, chain.waitCount());
    }

    @Test
    void programmingErrorsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new SemiSyncChain(0, Duration.ofSeconds(1),
                new SimpleMeterRegistry()));
        assertThrows(IllegalArgumentException.class, () -> new SemiSyncChain(1, Duration.ZERO,
                new SimpleMeterRegistry()));
    }
}
