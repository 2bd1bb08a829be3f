package io.pgmm.replication.pgoutput;

import io.pgmm.replication.pgoutput.PgOutputMessage.*;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PgOutputDecoderTest {

    private static PgOutputMessage decode(PgOutputBytes b) {
        return PgOutputDecoder.decode(b.bytes());
    }

    @Test
    void beginAndCommit() {
        assertThat(decode(PgOutputBytes.of('B').i64(0x1_0000_0010L).i64(123456789L).i32(742)))
                .isEqualTo(new Begin(0x1_0000_0010L, 123456789L, 742));
        assertThat(decode(PgOutputBytes.of('C').u8(0).i64(10).i64(20).i64(30)))
                .isEqualTo(new Commit((byte) 0, 10, 20, 30));
    }

    @Test
    void origin() {
        assertThat(decode(PgOutputBytes.of('O').i64(99).str("pgmm_2"))).isEqualTo(new Origin(99, "pgmm_2"));
    }

    @Test
    void relationWithKeyFlagsAndTypeModifiers() {
        PgOutputMessage m = decode(PgOutputBytes.of('R').i32(16384).str("public").str("accounts").u8('d').i16(2)
                .u8(1).str("id").i32(23).i32(-1)
                .u8(0).str("name").i32(1043).i32(54));
        assertThat(m).isEqualTo(new Relation(0, 16384, "public", "accounts", 'd', List.of(
                new Column(true, "id", 23, -1), new Column(false, "name", 1043, 54))));
    }

    @Test
    void relationInsideAStreamCarriesTheXid() {
        byte[] bytes = PgOutputBytes.of('R').i32(777).i32(16384).str("s").str("t").u8('f').i16(0).bytes();
        assertThat(PgOutputDecoder.decode(ByteBuffer.wrap(bytes), true))
                .isEqualTo(new Relation(777, 16384, "s", "t", 'f', List.of()));
    }

    @Test
    void typeMessage() {
        assertThat(decode(PgOutputBytes.of('Y').i32(16500).str("public").str("mood")))
                .isEqualTo(new TypeInfo(0, 16500, "public", "mood"));
    }

    @Test
    void insertWithNullTextAndUnchangedToast() {
        Insert m = (Insert) decode(PgOutputBytes.of('I').i32(16384).u8('N').tuple("1", null, "it's \\ \"x\"", "\u0000u"));
        assertThat(m.relationId()).isEqualTo(16384);
        assertThat(m.newTuple().values()).containsExactly(TupleData.Value.text("1"), TupleData.Value.NULL,
                TupleData.Value.text("it's \\ \"x\""), TupleData.Value.UNCHANGED_TOAST);
        assertThat(m.newTuple().get(2).text()).isEqualTo("it's \\ \"x\"");
    }

    @Test
    void binaryColumn() {
        Insert m = (Insert) decode(PgOutputBytes.of('I').i32(1).u8('N').i16(1).u8('b').i32(3).u8(1).u8(2).u8(3));
        assertThat(m.newTuple().get(0)).isEqualTo(new TupleData.Value(TupleData.Kind.BINARY, new byte[] {1, 2, 3}));
    }

    @Test
    void updateWithoutOldTuple() {
        Update m = (Update) decode(PgOutputBytes.of('U').i32(5).u8('N').tuple("1", "b"));
        assertThat(m.oldKind()).isEqualTo((char) 0);
        assertThat(m.oldTuple()).isNull();
        assertThat(m.newTuple().size()).isEqualTo(2);
    }

    @Test
    void updateWithOldKeyAndWithOldRow() {
        Update k = (Update) decode(PgOutputBytes.of('U').i32(5).u8('K').tuple("1", null).u8('N').tuple("2", "b"));
        assertThat(k.oldKind()).isEqualTo('K');
        assertThat(k.oldTuple().get(0).text()).isEqualTo("1");
        Update o = (Update) decode(PgOutputBytes.of('U').i32(5).u8('O').tuple("1", "a").u8('N').tuple("1", "b"));
        assertThat(o.oldKind()).isEqualTo('O');
        assertThat(o.newTuple().get(1).text()).isEqualTo("b");
    }

    @Test
    void delete() {
        Delete m = (Delete) decode(PgOutputBytes.of('D').i32(5).u8('K').tuple("7", null));
        assertThat(m).isEqualTo(new Delete(0, 5, 'K', new TupleData(List.of(TupleData.Value.text("7"), TupleData.Value.NULL))));
    }

    @Test
    void truncate() {
        Truncate m = (Truncate) decode(PgOutputBytes.of('T').i32(2).u8(3).i32(10).i32(11));
        assertThat(m.relationIds()).containsExactly(10, 11);
        assertThat(m.cascade()).isTrue();
        assertThat(m.restartIdentity()).isTrue();
    }

    @Test
    void logicalMessage() {
        byte[] content = "CREATE TABLE t()".getBytes(StandardCharsets.UTF_8);
        LogicalMessage m = (LogicalMessage) decode(PgOutputBytes.of('M').u8(1).i64(55).str("pgmm.ddl").i32(content.length).raw(content));
        assertThat(m.transactional()).isTrue();
        assertThat(m.prefix()).isEqualTo("pgmm.ddl");
        assertThat(m.lsn()).isEqualTo(55);
        assertThat(m.contentText()).isEqualTo("CREATE TABLE t()");
    }

    @Test
    void twoPhaseMessages() {
        assertThat(decode(PgOutputBytes.of('b').i64(100).i64(120).i64(5).i32(9).str("pgmm:1:0:1")))
                .isEqualTo(new BeginPrepare(100, 120, 5, 9, "pgmm:1:0:1"));
        assertThat(decode(PgOutputBytes.of('P').u8(0).i64(100).i64(120).i64(5).i32(9).str("pgmm:1:0:1")))
                .isEqualTo(new Prepare((byte) 0, 100, 120, 5, 9, "pgmm:1:0:1"));
        assertThat(decode(PgOutputBytes.of('K').u8(0).i64(200).i64(220).i64(6).i32(9).str("pgmm:1:0:1")))
                .isEqualTo(new CommitPrepared((byte) 0, 200, 220, 6, 9, "pgmm:1:0:1"));
        assertThat(decode(PgOutputBytes.of('r').u8(0).i64(120).i64(300).i64(5).i64(7).i32(9).str("pgmm:1:0:1")))
                .isEqualTo(new RollbackPrepared((byte) 0, 120, 300, 5, 7, 9, "pgmm:1:0:1"));
    }

    @Test
    void streamMessages() {
        assertThat(decode(PgOutputBytes.of('S').i32(12).u8(1))).isEqualTo(new StreamStart(12, true));
        assertThat(decode(PgOutputBytes.of('E'))).isEqualTo(new StreamStop());
        assertThat(decode(PgOutputBytes.of('c').i32(12).u8(0).i64(1).i64(2).i64(3)))
                .isEqualTo(new StreamCommit(12, (byte) 0, 1, 2, 3));
        assertThat(decode(PgOutputBytes.of('A').i32(12).i32(13))).isEqualTo(new StreamAbort(12, 13));
        assertThat(decode(PgOutputBytes.of('p').u8(0).i64(1).i64(2).i64(3).i32(12).str("g")))
                .isEqualTo(new StreamPrepare((byte) 0, 1, 2, 3, 12, "g"));
        byte[] insert = PgOutputBytes.of('I').i32(12).i32(16384).u8('N').tuple("1").bytes();
        assertThat(((Insert) PgOutputDecoder.decode(ByteBuffer.wrap(insert), true)).streamXid()).isEqualTo(12);
        assertThat(PgOutputDecoder.changeRelationId(ByteBuffer.wrap(insert), true)).isEqualTo(16384);
    }

    @Test
    void decodesFromTheBufferPositionWhateverItsByteOrder() {
        byte[] inner = PgOutputBytes.of('B').i64(1).i64(2).i32(3).bytes();
        byte[] padded = new byte[inner.length + 5];
        System.arraycopy(inner, 0, padded, 5, inner.length);
        ByteBuffer buffer = ByteBuffer.wrap(padded).order(ByteOrder.LITTLE_ENDIAN);
        buffer.position(5);
        assertThat(PgOutputDecoder.decode(buffer)).isEqualTo(new Begin(1, 2, 3));
        assertThat(buffer.hasRemaining()).isFalse();
    }

    @Test
    void everyTruncationOfAValidMessageIsRejectedClearly() {
        byte[] full = PgOutputBytes.of('U').i32(5).u8('K').tuple("1", null).u8('N').tuple("2", "bb").bytes();
        for (int length = 0; length < full.length; length++) {
            byte[] cut = Arrays.copyOf(full, length);
            assertThatThrownBy(() -> PgOutputDecoder.decode(cut)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("pgoutput: ");
        }
    }

    @Test
    void malformedMessagesAreRejectedWithWhatWasWrong() {
        assertThatThrownBy(() -> decode(PgOutputBytes.of('Z'))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown message type");
        assertThatThrownBy(() -> decode(PgOutputBytes.of('B').i64(1).i64(2).i32(3).u8(0)))
                .hasMessageContaining("unexpected bytes");
        assertThatThrownBy(() -> decode(PgOutputBytes.of('I').i32(1).u8('N').i16(1).u8('t').i32(1000).u8(1)))
                .hasMessageContaining("INSERT ('I')").hasMessageContaining("truncated");
        assertThatThrownBy(() -> decode(PgOutputBytes.of('I').i32(1).u8('N').i16(1).u8('t').i32(-5)))
                .hasMessageContaining("negative length");
        assertThatThrownBy(() -> decode(PgOutputBytes.of('I').i32(1).u8('X').tuple("1")))
                .hasMessageContaining("expected 'N'");
        assertThatThrownBy(() -> decode(PgOutputBytes.of('I').i32(1).u8('N').i16(1).u8('q')))
                .hasMessageContaining("unknown kind");
        assertThatThrownBy(() -> decode(PgOutputBytes.of('I').i32(1).u8('N').i16(60000)))
                .hasMessageContaining("out of range");
        assertThatThrownBy(() -> decode(PgOutputBytes.of('T').i32(Integer.MAX_VALUE).u8(0).i32(1)))
                .hasMessageContaining("cannot fit");
        assertThatThrownBy(() -> decode(PgOutputBytes.of('O').i64(1).raw("abc".getBytes(StandardCharsets.UTF_8))))
                .hasMessageContaining("no terminating zero");
        assertThatThrownBy(() -> decode(PgOutputBytes.of('D').i32(1).u8('N').tuple("1")))
                .hasMessageContaining("expected 'K' or 'O'");
    }
}
