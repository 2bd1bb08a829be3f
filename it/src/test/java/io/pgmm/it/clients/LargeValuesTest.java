package io.pgmm.it.clients;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgmm.it.support.PgmmTestNode;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Values far larger than any buffer: one protocol message of 100 MB (binary) or 200 MB (bytea in
 * hex text) each way through the sidecar. Needs roughly 1 GB of test heap (the default, a
 * quarter of physical memory, is enough on any CI machine with 4 GB or more).
 */
class LargeValuesTest {

  private static final int SIZE_BYTES = 100 * 1024 * 1024;

  private static PgmmTestNode node;
  private static String insertedSha256;

  @BeforeAll
  static void startNodeAndInsertLargeBytea() throws Exception {
    node = PgmmTestNode.start("large");
    try (Connection c = node.connect(); Statement s = c.createStatement()) {
      s.execute("create table big_bytea (id int primary key, v bytea)");
      // Streamed from a generator: pgjdbc copies the stream to the socket, never holding 100 MB.
      MessageDigest digest = sha256();
      try (PreparedStatement ps = c.prepareStatement("insert into big_bytea values (1, ?)");
          InputStream in = new DigestInputStream(new PseudoRandomBytes(SIZE_BYTES, 42), digest)) {
        ps.setBinaryStream(1, in, SIZE_BYTES);
        assertThat(ps.executeUpdate()).isEqualTo(1);
      }
      insertedSha256 = HexFormat.of().formatHex(digest.digest());
    }
  }

  @AfterAll
  static void stopNode() {
    if (node != null) {
      node.close();
    }
  }

  @Test
  void hundredMegabyteByteaArrivesIntactThroughSidecar() throws SQLException {
    try (Connection c = node.connectDirect(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("select length(v), encode(sha256(v), 'hex') from big_bytea where id = 1")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getLong(1)).isEqualTo(SIZE_BYTES);
      assertThat(rs.getString(2)).isEqualTo(insertedSha256);
    }
  }

  @Test
  void hundredMegabyteByteaReadsBackAsHexText() throws SQLException {
    // Default settings: the first execution is unnamed and its result comes as hex text (200 MB).
    try (Connection c = node.connect(); PreparedStatement ps = c.prepareStatement("select v from big_bytea where id = ?")) {
      ps.setInt(1, 1);
      try (ResultSet rs = ps.executeQuery()) {
        assertThat(rs.next()).isTrue();
        byte[] v = rs.getBytes(1);
        assertThat(v).hasSize(SIZE_BYTES);
        assertThat(sha256Hex(v)).isEqualTo(insertedSha256);
      }
    }
  }

  @Test
  void hundredMegabyteByteaReadsBackInBinary() throws SQLException {
    Properties binary = new Properties();
    binary.setProperty("binaryTransfer", "true");
    binary.setProperty("prepareThreshold", "-1");
    try (Connection c = node.connect(binary);
        PreparedStatement ps = c.prepareStatement("select v, length(v) from big_bytea where id = ?")) {
      ps.setInt(1, 1);
      try (ResultSet rs = ps.executeQuery()) {
        assertThat(rs.next()).isTrue();
        byte[] v = rs.getBytes(1);
        assertThat(v).hasSize(SIZE_BYTES);
        assertThat(sha256Hex(v)).isEqualTo(insertedSha256);
      }
    }
  }

  @Test
  void hundredMegabyteTextResultOfSimpleQueryArrivesIntact() throws SQLException {
    int parts = SIZE_BYTES / 32;
    MessageDigest expected = sha256();
    MessageDigest md5 = md5();
    for (int g = 1; g <= parts; g++) {
      byte[] hex = HexFormat.of().formatHex(md5.digest(Integer.toString(g).getBytes(StandardCharsets.US_ASCII)))
          .getBytes(StandardCharsets.US_ASCII);
      expected.update(hex);
    }
    Properties simple = new Properties();
    simple.setProperty("preferQueryMode", "simple");
    try (Connection c = node.connect(simple); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(
            "select string_agg(md5(g::text), '' order by g), 'after' from generate_series(1, " + parts + ") g")) {
      assertThat(rs.next()).isTrue();
      String v = rs.getString(1);
      assertThat(v).hasSize(SIZE_BYTES);
      assertThat(sha256Hex(v.getBytes(StandardCharsets.US_ASCII)))
          .isEqualTo(HexFormat.of().formatHex(expected.digest()));
      assertThat(rs.getString(2)).isEqualTo("after");
      assertThat(rs.next()).isFalse();
    }
  }

  /** A reproducible stream of bytes that are not trivially compressible (xorshift64). */
  private static final class PseudoRandomBytes extends InputStream {
    private long remaining;
    private long state;

    PseudoRandomBytes(long size, long seed) {
      this.remaining = size;
      this.state = seed * 0x9E3779B97F4A7C15L | 1;
    }

    @Override
    public int read() {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (remaining == 0) {
        return -1;
      }
      int n = (int) Math.min(len, remaining);
      for (int i = 0; i < n; i++) {
        state ^= state << 13;
        state ^= state >>> 7;
        state ^= state << 17;
        b[off + i] = (byte) state;
      }
      remaining -= n;
      return n;
    }
  }

  private static String sha256Hex(byte[] bytes) {
    return HexFormat.of().formatHex(sha256().digest(bytes));
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static MessageDigest md5() {
    try {
      return MessageDigest.getInstance("MD5");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
