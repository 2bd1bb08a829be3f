package io.pgmm.replication.transport;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Mutual authentication with the shared cluster secret; the secret never crosses the wire.
 *
 * <pre>
 *   A                                        B
 *   Hello{version, nodeId A, nonce Na}  ──►
 *                                       ◄──  Hello{version, nodeId B, nonce Nb}
 *   Auth{HMAC(secret, Nb || A || B)}    ──►     (sent as soon as the peer's Hello arrives)
 *                                       ◄──  Auth{HMAC(secret, Na || B || A)}
 *   each side checks the other's Auth (constant time); a wrong answer, an unexpected node id or a
 *   timeout closes the connection before any PeerMessage is accepted or sent.
 * </pre>
 *
 * The node ids in the MAC (answerer first) stop a reflection attack: an attacker who opens a second
 * connection and replays A's nonce gets A's answer for the order (A, B), not the (B, A) it needs. Fresh
 * random nonces stop replay. The handshake does not encrypt or sign later frames: the cluster network must
 * be trusted against active attackers on the path (see the package README).
 */
final class Handshake {

  /** 2: chunks cut inside changes, RunStatement and StatementDone (nodes of different versions refuse each other). */
  static final short PROTOCOL_VERSION = 2;
  static final int NONCE_BYTES = 32;
  static final int MAC_BYTES = 32;
  static final int HELLO_BYTES = 2 + 4 + NONCE_BYTES;
  static final int MIN_SECRET_BYTES = 16;

  private static final SecureRandom RANDOM = new SecureRandom();

  record Hello(short version, int nodeId, byte[] nonce) {}

  record Auth(byte[] mac) {}

  private Handshake() {}

  static byte[] newNonce() {
    byte[] nonce = new byte[NONCE_BYTES];
    RANDOM.nextBytes(nonce);
    return nonce;
  }

  /** The answer of {@code answererNode} to {@code challengeNonce} sent by {@code challengerNode}. */
  static byte[] answer(byte[] secret, byte[] challengeNonce, int answererNode, int challengerNode) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret, "HmacSHA256"));
      mac.update(challengeNonce);
      mac.update(ByteBuffer.allocate(8).putInt(answererNode).putInt(challengerNode).array());
      return mac.doFinal();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }

  static boolean verify(byte[] expected, byte[] actual) {
    return MessageDigest.isEqual(expected, actual);
  }
}
