package dev.binlogproxy.binlog.position;

import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * An immutable MariaDB GTID position: at most one GTID per replication domain, the last one applied or written
 * in that domain. This is what {@code @@gtid_slave_pos}, {@code @@gtid_current_pos}, {@code @@gtid_binlog_pos}
 * and a replica's {@code @slave_connect_state} hold.
 *
 * <p>Invariants: {@code gtids} is sorted by domain id, strictly increasing (so no domain appears twice); the
 * array is never mutated after construction.
 *
 * <p>Why one entry per domain is enough, and why only sequence numbers are compared: within a domain MariaDB
 * binlogs event groups in a single sequence, and the sequence number keeps growing across servers (after a
 * failover the new master continues the domain's numbering), so "the last GTID of each domain" describes
 * everything before it. The server id only names the server that originated the group. It is not part of the
 * order: {@code 0-2-101} follows {@code 0-1-100} after a switch of master. {@link #includes} therefore compares
 * sequence numbers alone. It cannot see a diverged history (same domain and sequence number from two servers,
 * which can happen without {@code gtid_strict_mode}); detecting that is the job of whoever compares binlogs.
 *
 * <p>This is not a GTID_LIST event (which keeps one entry per domain <em>and server</em>): fold a GTID_LIST into a
 * position by applying {@link #with} to its entries in order, so the last entry of each domain wins.
 */
public final class MariaGtidPosition {

    public static final MariaGtidPosition EMPTY = new MariaGtidPosition(new MariaGtid[0]);

    private final MariaGtid[] gtids;

    private MariaGtidPosition(MariaGtid[] gtids) {
        this.gtids = gtids;
    }

    /**
     * A position holding {@code gtids}, in any order.
     *
     * @throws IllegalArgumentException if two GTIDs share a domain
     */
    public static MariaGtidPosition of(Collection<MariaGtid> gtids) {
        MariaGtid[] sorted = gtids.toArray(new MariaGtid[0]);
        for (MariaGtid g : sorted) {
            Objects.requireNonNull(g, "gtid");
        }
        Arrays.sort(sorted, (a, b) -> Long.compare(a.domainId(), b.domainId()));
        for (int i = 1; i < sorted.length; i++) {
            if (sorted[i].domainId() == sorted[i - 1].domainId()) {
                throw duplicateDomain(sorted[i], sorted[i - 1]);
            }
        }
        return sorted.length == 0 ? EMPTY : new MariaGtidPosition(sorted);
    }

    /** Varargs form of {@link #of(Collection)}. */
    public static MariaGtidPosition of(MariaGtid... gtids) {
        return of(Arrays.asList(gtids));
    }

    /**
     * Parses a comma-separated list of {@code domain-server-sequence}, for example {@code 0-1-100,1-2-5}. The empty
     * or blank string is the empty position. Whitespace around every GTID and number is ignored (MariaDB accepts
     * it only before numbers). Empty elements ({@code "0-1-1,"}) are rejected, as MariaDB rejects them.
     *
     * @throws IllegalArgumentException for a malformed GTID, or for two GTIDs in one domain (MariaDB's
     *     ER_DUPLICATE_GTID_DOMAIN: "GTID 0-2-5 and 0-1-100 conflict (duplicate domain id 0)")
     */
    public static MariaGtidPosition parse(String text) {
        Objects.requireNonNull(text, "text");
        if (text.isBlank()) {
            return EMPTY;
        }
        String[] elements = text.split(",", -1);
        MariaGtid[] parsed = new MariaGtid[elements.length];
        for (int i = 0; i < elements.length; i++) {
            if (elements[i].isBlank()) {
                throw new IllegalArgumentException("MariaDB GTID position '" + text.strip()
                        + "' has an empty element at index " + i);
            }
            parsed[i] = MariaGtid.parse(elements[i]);
        }
        // Report the duplicate the way MariaDB does: the later GTID against the first one seen in that domain.
        Map<Long, MariaGtid> firstByDomain = new HashMap<>();
        for (MariaGtid g : parsed) {
            MariaGtid earlier = firstByDomain.putIfAbsent(g.domainId(), g);
            if (earlier != null) {
                throw duplicateDomain(g, earlier);
            }
        }
        return of(Arrays.asList(parsed));
    }

    /** The GTIDs sorted by domain id, comma-separated, as MariaDB prints {@code @@gtid_slave_pos}; "" if empty. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < gtids.length; i++) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append(gtids[i]);
        }
        return sb.toString();
    }

    /**
     * This position with {@code gtid} as the entry of its domain, replacing any earlier entry whatever its
     * sequence number (the last GTID seen wins, as in MariaDB's binlog state; it is not a maximum).
     */
    public MariaGtidPosition with(MariaGtid gtid) {
        Objects.requireNonNull(gtid, "gtid");
        int i = indexOf(gtid.domainId());
        if (i >= 0) {
            if (gtids[i].equals(gtid)) {
                return this;
            }
            MariaGtid[] copy = gtids.clone();
            copy[i] = gtid;
            return new MariaGtidPosition(copy);
        }
        int insertAt = -i - 1;
        MariaGtid[] grown = new MariaGtid[gtids.length + 1];
        System.arraycopy(gtids, 0, grown, 0, insertAt);
        grown[insertAt] = gtid;
        System.arraycopy(gtids, insertAt, grown, insertAt + 1, gtids.length - insertAt);
        return new MariaGtidPosition(grown);
    }

    /** The entry for {@code domainId}, if the position has one. */
    public Optional<MariaGtid> gtidFor(long domainId) {
        int i = indexOf(domainId);
        return i >= 0 ? Optional.of(gtids[i]) : Optional.empty();
    }

    /** The domain ids that have an entry, ascending. */
    public Set<Long> domains() {
        TreeSet<Long> out = new TreeSet<>();
        for (MariaGtid g : gtids) {
            out.add(g.domainId());
        }
        return Collections.unmodifiableSortedSet(out);
    }

    /** The entries, sorted by domain id. */
    public List<MariaGtid> gtids() {
        return List.of(gtids);
    }

    public int size() {
        return gtids.length;
    }

    public boolean isEmpty() {
        return gtids.length == 0;
    }

    /**
     * Whether this position has reached {@code gtid}: it has an entry in {@code gtid}'s domain whose sequence
     * number is at least {@code gtid}'s (unsigned). Server ids are not compared; see the class comment. A domain
     * absent from this position has reached nothing.
     */
    public boolean includes(MariaGtid gtid) {
        int i = indexOf(gtid.domainId());
        return i >= 0 && Long.compareUnsigned(gtids[i].seqNo(), gtid.seqNo()) >= 0;
    }

    /** Whether this position {@link #includes} every entry of {@code other}. */
    public boolean includesAll(MariaGtidPosition other) {
        for (MariaGtid g : other.gtids) {
            if (!includes(g)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public boolean equals(Object o) {
        return this == o || (o instanceof MariaGtidPosition && Arrays.equals(gtids, ((MariaGtidPosition) o).gtids));
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(gtids);
    }

    /** Binary search by domain id: index, or {@code -(insertion point) - 1}. */
    private int indexOf(long domainId) {
        int lo = 0;
        int hi = gtids.length - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int c = Long.compare(gtids[mid].domainId(), domainId);
            if (c < 0) {
                lo = mid + 1;
            } else if (c > 0) {
                hi = mid - 1;
            } else {
                return mid;
            }
        }
        return -(lo + 1);
    }

    private static IllegalArgumentException duplicateDomain(MariaGtid later, MariaGtid earlier) {
        return new IllegalArgumentException("GTID " + later + " and " + earlier + " conflict (duplicate domain id "
                + later.domainId() + ")");
    }
}
