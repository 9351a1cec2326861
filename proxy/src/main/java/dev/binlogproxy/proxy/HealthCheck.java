package dev.binlogproxy.proxy;

import java.util.Optional;

/**
 * One condition of the proxy's health or readiness: empty while it holds, else a one-line reason an operator (and
 * a load balancer's log) can act on. The one interface every condition goes through, so a component that learns a
 * new way to be unwell (the archive's disk-full state, say) adds a check instead of changing the endpoints.
 */
@FunctionalInterface
public interface HealthCheck {
    Optional<String> problem();
}
