package io.pgmm.server.session;

import io.pgmm.replication.commit.LocalSessions;
import java.security.SecureRandom;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every admitted client session of this sidecar, bounded by {@code limits.maxConnections}, and
 * the cancel keys handed out to them.
 *
 * <p>A client's BackendKeyData carries the real PostgreSQL backend pid (so {@code
 * pg_backend_pid()} and the pid of a NotificationResponse mean what the client expects) with a
 * secret of the sidecar's own; PostgreSQL's secret never leaves the sidecar. Pids are unique
 * among the live backends of the one PostgreSQL a sidecar fronts, so they key the map.
 */
public final class SessionRegistry {

  private final SecureRandom random = new SecureRandom();
  private final Set<ClientSession> sessions = ConcurrentHashMap.newKeySet();
  private final ConcurrentHashMap<Integer, ClientSession> byProcessId = new ConcurrentHashMap<>();
  private final int maxSessions;

  public SessionRegistry(int maxSessions) {
    this.maxSessions = maxSessions;
  }

  /** Admits a session unless {@code maxSessions} are open already. */
  synchronized boolean admit(ClientSession session) {
    if (sessions.size() >= maxSessions) {
      return false;
    }
    sessions.add(session);
    return true;
  }

  /** The key the client will see for the backend with {@code backendProcessId}. */
  CancelKey assignKey(ClientSession session, int backendProcessId) {
    CancelKey key = new CancelKey(backendProcessId, random.nextInt());
    byProcessId.put(backendProcessId, session);
    return key;
  }

  void remove(ClientSession session, CancelKey key) {
    sessions.remove(session);
    if (key != null) {
      byProcessId.remove(key.processId(), session);
    }
  }

  /** The session a CancelRequest names, if its secret matches. */
  ClientSession forCancel(int processId, int secretKey) {
    ClientSession s = byProcessId.get(processId);
    return s != null && s.cancelKey() != null && s.cancelKey().matches(secretKey) ? s : null;
  }

  /** The sessions as conflict resolution sees them: by their PostgreSQL backend's pid. */
  public LocalSessions localSessions() {
    return (pid, message) -> {
      ClientSession s = byProcessId.get(pid);
      return s == null ? CompletableFuture.completedFuture(false) : s.armWound(message);
    };
  }

  public int size() {
    return sessions.size();
  }

  public Collection<ClientSession> sessions() {
    return List.copyOf(sessions);
  }
}
