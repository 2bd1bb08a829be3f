package io.pgmm.protocol;

import static io.pgmm.protocol.Bytes.bytes;
import static io.pgmm.protocol.FrontendMessagesTest.assertViolation;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgmm.protocol.Samples.Sample;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class BackendMessagesTest {

  static List<Sample> samples() {
    return Samples.backend();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("samples")
  void handBuiltBytesDecodeToTheRecord(Sample sample) {
    BackendMessage decoded = TestCodec.backend(sample.wire());
    assertThat(decoded).isEqualTo(sample.message());
    assertThat(decoded.hashCode()).isEqualTo(sample.message().hashCode());
    assertThat(decoded.toString()).isEqualTo(sample.message().toString());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("samples")
  void recordEncodesToTheHandBuiltBytes(Sample sample) {
    assertThat(TestCodec.encode((BackendMessage) sample.message())).containsExactly(sample.wire());
  }

  @Test
  void everyBackendMessageHasHandBuiltBytes() {
    assertThat(samples().stream().<Class<?>>map(s -> s.message().getClass()).collect(Collectors.toSet()))
        .containsExactlyInAnyOrderElementsOf(TestCodec.leafRecords(BackendMessage.class));
  }

  @Test
  void everyAuthenticationTypeHasHandBuiltBytes() {
    assertThat(samples().stream().map(Sample::message).filter(m -> m instanceof Authentication)
        .map(m -> ((Authentication) m).authenticationType()).collect(Collectors.toSet()))
        .containsExactlyInAnyOrder(AuthenticationType.values());
  }

  @Test
  void everyCodeLooksUpItsEnum() {
    for (BackendType t : BackendType.values()) {
      assertThat(BackendType.fromCode(t.code())).isSameAs(t);
    }
    for (AuthenticationType t : AuthenticationType.values()) {
      assertThat(AuthenticationType.fromCode(t.code())).isSameAs(t);
    }
    for (ErrorField f : ErrorField.values()) {
      assertThat(ErrorField.fromCode(f.code())).isSameAs(f);
    }
    for (TransactionStatus s : TransactionStatus.values()) {
      assertThat(TransactionStatus.fromCode(s.code())).isSameAs(s);
    }
    assertThat(BackendType.fromCode((byte) 'x')).isNull();
    assertThat(AuthenticationType.fromCode(4)).isNull();
    assertThat(ErrorField.fromCode((byte) 'X')).isNull();
    assertThat(TransactionStatus.fromCode((byte) 'X')).isNull();
    assertThat(CopyFormat.fromCode((byte) 2)).isNull();
    assertThat(ErrorField.values()).extracting(f -> (char) f.code())
        .containsExactly('S', 'V', 'C', 'M', 'D', 'H', 'P', 'p', 'q', 'W', 's', 't', 'c', 'd', 'n', 'F', 'L', 'R');
  }

  @Test
  void errorResponseOfFillsBothSeveritiesSqlStateAndMessage() {
    ErrorResponse error = ErrorResponse.of("FATAL", "57P01", "terminating connection due to administrator command");
    assertThat(error.fields()).containsExactly(
        Map.entry(ErrorField.SEVERITY, "FATAL"),
        Map.entry(ErrorField.SEVERITY_NON_LOCALIZED, "FATAL"),
        Map.entry(ErrorField.SQLSTATE, "57P01"),
        Map.entry(ErrorField.MESSAGE, "terminating connection due to administrator command"));
    assertThat(error.severity()).isEqualTo("FATAL");
    assertThat(error.sqlState()).isEqualTo("57P01");
    assertThat(error.message()).isEqualTo("terminating connection due to administrator command");
    assertThat(error.field(ErrorField.HINT)).isNull();
  }

  @Test
  void protocolViolationBecomesAFatal08P01() {
    ErrorResponse error = new ProtocolViolation("invalid length of startup packet: 3").toErrorResponse();
    assertThat(error).isEqualTo(ErrorResponse.of("FATAL", "08P01", "invalid length of startup packet: 3"));
  }

  @Test
  void diagnosticFieldsAreWrittenInDocumentedOrderWhateverTheInputOrder() {
    NoticeResponse notice = new NoticeResponse(Map.of(ErrorField.ROUTINE, "r", ErrorField.SEVERITY, "NOTICE"));
    assertThat(TestCodec.encode(notice))
        .containsExactly(bytes().type('N').i32(16).i8('S').cstr("NOTICE").i8('R').cstr("r").i8(0).array());
  }

  @Test
  void unknownDiagnosticFieldsAreSkipped() {
    assertThat(TestCodec.backend(bytes().type('E').i32(16).i8('X').cstr("future").i8('M').cstr("m").i8(0).array()))
        .isEqualTo(new ErrorResponse(Map.of(ErrorField.MESSAGE, "m")));
  }

  @Test
  void diagnosticWithoutFinalTerminatorIsRejected() {
    assertViolation(() -> TestCodec.backend(bytes().type('E').i32(7).i8('M').cstr("m").array()),
        "invalid ErrorResponse message: insufficient data left in message for terminator of field list");
    assertViolation(() -> TestCodec.backend(bytes().type('N').i32(6).i8('M').raw("m").array()),
        "invalid NoticeResponse message: missing terminator of field value");
  }

  @Test
  void unknownTypeByteIsRejected() {
    assertViolation(() -> TestCodec.backend(bytes().type('x').i32(4).array()), "invalid backend message type 'x'");
  }

  @Test
  void unknownAuthenticationTypeIsRejected() {
    assertViolation(() -> TestCodec.backend(bytes().type('R').i32(8).i32(4).array()),
        "invalid Authentication message: unknown authentication type 4");
  }

  @Test
  void md5SaltMustBeFourBytes() {
    assertViolation(() -> TestCodec.backend(bytes().type('R').i32(11).i32(5).raw(new byte[3]).array()),
        "insufficient data left in message for salt");
    assertViolation(() -> TestCodec.backend(bytes().type('R').i32(13).i32(5).raw(new byte[5]).array()),
        "1 unexpected bytes after the last field");
  }

  @Test
  void saslMechanismListNeedsItsTerminator() {
    assertViolation(() -> TestCodec.backend(bytes().type('R').i32(14).i32(10).cstr("PLAIN").array()),
        "insufficient data left in message for terminator of mechanism list");
  }

  @Test
  void readyForQueryRejectsAnUnknownStatus() {
    assertViolation(() -> TestCodec.backend(bytes().type('Z').i32(5).i8('X').array()),
        "invalid ReadyForQuery message: invalid transaction status 'X'");
    assertViolation(() -> TestCodec.backend(bytes().type('Z').i32(4).array()),
        "insufficient data left in message for transaction status");
  }

  @Test
  void dataRowLengthsAndCountsAreChecked() {
    assertViolation(() -> TestCodec.backend(bytes().type('D').i32(10).i16(1).i32(-2).array()),
        "invalid DataRow message: invalid length -2 of column values");
    assertViolation(() -> TestCodec.backend(bytes().type('D').i32(10).i16(1).i32(1).array()),
        "length 1 of column values exceeds the 0 bytes left");
    assertViolation(() -> TestCodec.backend(bytes().type('D').i32(6).i16(0xFFFF).array()),
        "65535 column values announced but only 0 bytes left");
  }

  @Test
  void rowDescriptionTruncatedInAFieldIsRejected() {
    assertViolation(() -> TestCodec.backend(bytes().type('T').i32(13).i16(1).cstr("id").i32(0).array()),
        "invalid RowDescription message: 1 fields announced but only 7 bytes left");
    assertViolation(() -> TestCodec.backend(bytes().type('T').i32(25).i16(1).cstr("id").i32(0).i16(0).i32(23).i16(4).i32(-1).array()),
        "insufficient data left in message for format code");
  }

  @Test
  void negotiateProtocolVersionCountIsChecked() {
    assertViolation(() -> TestCodec.backend(bytes().type('v').i32(12).i32(0).i32(-1).array()),
        "negative count -1 of unrecognized options");
    assertViolation(() -> TestCodec.backend(bytes().type('v').i32(14).i32(0).i32(Integer.MAX_VALUE).i8('a').i8(0).array()),
        "2147483647 unrecognized options announced but only 2 bytes left");
  }

  @Test
  void copyResponseRejectsAnUnknownOverallFormat() {
    assertViolation(() -> TestCodec.backend(bytes().type('G').i32(7).i8(2).i16(0).array()),
        "invalid CopyInResponse message: invalid overall format 2, expected 0 or 1");
  }

  @Test
  void functionCallResponseLengthIsChecked() {
    assertViolation(() -> TestCodec.backend(bytes().type('V').i32(8).i32(-7).array()), "invalid length -7 of result");
  }

  @Test
  void recordsRefuseWhatCannotBeEncoded() {
    assertThatThrownBy(() -> new AuthenticationMd5Password(new byte[3])).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new AuthenticationSasl(List.of(""))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new CommandComplete("a\0")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new DataRow(new byte[65_536][])).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ReadyForQuery(null)).isInstanceOf(NullPointerException.class);
  }

  @Test
  void arrayRecordsCompareByContent() {
    assertThat(new DataRow(new byte[][] {{1}, null})).isEqualTo(new DataRow(new byte[][] {{1}, null}))
        .isNotEqualTo(new DataRow(new byte[][] {{1}, {}}));
    assertThat(new CopyData(new byte[] {1, 2})).isEqualTo(new CopyData(new byte[] {1, 2}))
        .hasSameHashCodeAs(new CopyData(new byte[] {1, 2}));
    assertThat(new CopyInResponse(CopyFormat.TEXT, new short[] {0}))
        .isNotEqualTo(new CopyOutResponse(CopyFormat.TEXT, new short[] {0}));
  }

  @Test
  void copyDataAndCopyDoneAreTheSameRecordInBothDirections() {
    byte[] wire = bytes().type('d').i32(6).raw(new byte[] {7, 8}).array();
    assertThat((Object) TestCodec.backend(wire)).isEqualTo(TestCodec.frontend(wire));
    assertThat((Object) TestCodec.backend(bytes().type('c').i32(4).array())).isSameAs(TestCodec.frontend(bytes().type('c').i32(4).array()));
  }
}
