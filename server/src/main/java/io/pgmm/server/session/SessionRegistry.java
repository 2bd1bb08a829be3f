package io.pgmm.server.session;

import java.security.SecureRandom;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Every live client session of this sidecar, by the process id the sidecar handed out in its own
 * BackendKeyData. Clients never see the local PostgreSQL's keys: a CancelRequest carries ours and
 * is mapped to the backend's here. Also counts sessions for {@code limits.maxConnections}.
 */
public final class SessionRegistry {

  private final SecureRandom random = new SecureRandom();
  private final AtomicInteger nextProcessId = new AtomicInteger(1 + new SecureRandom().nextInt(1 << 20));
  private final ConcurrentHashMap<Integer, ClientSession> byProcessId = new ConcurrentHashMap<>();
  private final int maxSessions;

  public SessionRegistry(int maxSessions) {
    this.maxSessions = maxSessions;
  }

  /** Registers the session and returns its new key, or null when the connection limit is reached. */
  CancelKey register(ClientSession session) {
    if (byProcessId.size() >= maxSessions) {
      return null;
    }
    while (true) {
      int pid = nextProcessId.getAndIncrement() & 0x7fffffff;
      if (pid != 0 && byProcessId.putIfAbsent(pid, session) == null) {
        return new CancelKey(pid, random.nextInt());
      }
    }
  }

  void unregister(CancelKey key, ClientSession session) {
    if (key != null) {
      byProcessId.remove(key.processId(), session);
    }
  }

  /** The session a CancelRequest names, if its secret matches. */
  ClientSession forCancel(int processId, int secretKey) {
    ClientSession s = byProcessId.get(processId);
    return s != null && s.cancelKey() != null && s.cancelKey().matches(secretKey) ? s : null;
  }

  public int size() {
    return byProcessId.size();
  }

  public Collection<ClientSession> sessions() {
    return List.copyOf(byProcessId.values());
  }
}
