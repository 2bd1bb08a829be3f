package io.pgmm.server.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.pgmm.protocol.TransactionStatus;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class TransactionTrackerTest {

  private static ByteBuf strings(String... parts) {
    ByteBuf b = Unpooled.buffer();
    for (String p : parts) {
      b.writeBytes(p.getBytes(StandardCharsets.UTF_8)).writeByte(0);
    }
    return b;
  }

  @Test
  void remembersTheSqlBehindNamedStatementsAndPortals() {
    TransactionTracker tracker = new TransactionTracker();
    tracker.onFrontend((byte) 'P', strings("S_1", "COMMIT").writeShort(0));
    tracker.onFrontend((byte) 'B', strings("C_7", "S_1").writeShort(0).writeShort(0).writeShort(0));
    assertThat(tracker.statementSql("S_1")).isEqualTo("COMMIT");
    assertThat(tracker.portalSql("C_7")).isEqualTo("COMMIT");

    tracker.onFrontend((byte) 'C', Unpooled.buffer().writeByte('S').writeBytes(strings("S_1")));
    assertThat(tracker.statementSql("S_1")).isNull();
  }

  @Test
  void followsTheTransactionStatusAndDropsPortalsWhenIdle() {
    TransactionTracker tracker = new TransactionTracker();
    tracker.onFrontend((byte) 'P', strings("", "insert into t values (1)").writeShort(0));
    tracker.onFrontend((byte) 'B', strings("p", "").writeShort(0).writeShort(0).writeShort(0));
    tracker.onReadyForQuery((byte) 'T');
    assertThat(tracker.status()).isEqualTo(TransactionStatus.IN_TRANSACTION);
    assertThat(tracker.portalSql("p")).isEqualTo("insert into t values (1)");
    tracker.onReadyForQuery((byte) 'E');
    assertThat(tracker.status()).isEqualTo(TransactionStatus.FAILED);
    tracker.onReadyForQuery((byte) 'I');
    assertThat(tracker.portalSql("p")).isNull();
    assertThat(tracker.statementSql("")).isEqualTo("insert into t values (1)");
  }

  @Test
  void aSimpleQueryReplacesTheUnnamedStatement() {
    TransactionTracker tracker = new TransactionTracker();
    tracker.onFrontend((byte) 'P', strings("", "select 1").writeShort(0));
    tracker.onFrontend((byte) 'Q', strings("COMMIT; BEGIN"));
    assertThat(tracker.lastSimpleQuery()).isEqualTo("COMMIT; BEGIN");
    assertThat(tracker.statementSql("")).isNull();
  }
}
