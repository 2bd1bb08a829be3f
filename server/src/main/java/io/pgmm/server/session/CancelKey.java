package io.pgmm.server.session;

/** The (process id, secret key) pair of BackendKeyData and CancelRequest. */
public record CancelKey(int processId, int secretKey) {

  /** Compares secrets without leaking, through timing, how many bits matched. */
  boolean matches(int otherSecretKey) {
    return java.security.MessageDigest.isEqual(bytes(secretKey), bytes(otherSecretKey));
  }

  private static byte[] bytes(int v) {
    return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
  }
}
