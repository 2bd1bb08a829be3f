package io.pgmm.protocol;

import static io.pgmm.protocol.Bytes.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.pgmm.protocol.Samples.Sample;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class FrontendMessagesTest {

  static List<Sample> samples() {
    return Samples.frontend();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("samples")
  void handBuiltBytesDecodeToTheRecord(Sample sample) {
    FrontendMessage decoded = sample.isStartup()
        ? TestCodec.startup(sample.wire())
        : TestCodec.frontend(sample.wire(), sample.kind());
    assertThat(decoded).isEqualTo(sample.message());
    assertThat(decoded.hashCode()).isEqualTo(sample.message().hashCode());
    assertThat(decoded.toString()).isEqualTo(sample.message().toString());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("samples")
  void recordEncodesToTheHandBuiltBytes(Sample sample) {
    assertThat(TestCodec.encode((FrontendMessage) sample.message())).containsExactly(sample.wire());
  }

  @Test
  void everyFrontendMessageHasHandBuiltBytes() {
    assertThat(samples().stream().<Class<?>>map(s -> s.message().getClass()).collect(Collectors.toSet()))
        .containsExactlyInAnyOrderElementsOf(TestCodec.leafRecords(FrontendMessage.class));
  }

  @Test
  void everyTypeCodeLooksUpItsType() {
    for (FrontendType t : FrontendType.values()) {
      assertThat(FrontendType.fromCode(t.code())).isSameAs(t);
    }
    assertThat(FrontendType.fromCode((byte) 'z')).isNull();
    assertThat(FrontendType.fromCode((byte) 0)).isNull();
    assertThat(FrontendType.fromCode((byte) 0xFF)).isNull();
    assertThat(DescribeTarget.fromCode((byte) 'S')).isEqualTo(DescribeTarget.STATEMENT);
    assertThat(DescribeTarget.fromCode((byte) 'P')).isEqualTo(DescribeTarget.PORTAL);
    assertThat(DescribeTarget.fromCode((byte) 'X')).isNull();
  }

  @Test
  void decodingLeavesThePayloadIndicesAndReferenceCountAlone() {
    ByteBuf payload = bytes().cstr("SELECT 1").buf();
    try {
      assertThat(FrontendDecoder.decode((byte) 'Q', payload)).isEqualTo(new Query("SELECT 1"));
      assertThat(payload.readerIndex()).isZero();
      assertThat(payload.refCnt()).isEqualTo(1);
    } finally {
      payload.release();
    }
  }

  @Test
  void startupMessageKeepsParameterOrderAndTheLastValueOfARepeatedName() {
    StartupPacket decoded = TestCodec.startup(bytes().i32(34).i32(196608)
        .cstr("user").cstr("a").cstr("database").cstr("d").cstr("user").cstr("b").i8(0).array());
    assertThat(decoded).isInstanceOf(StartupMessage.class);
    StartupMessage startup = (StartupMessage) decoded;
    assertThat(startup.parameters()).containsExactly(Map.entry("user", "b"), Map.entry("database", "d"));
    assertThat(startup.majorVersion()).isEqualTo(3);
    assertThat(startup.minorVersion()).isZero();
  }

  @Test
  void startupMessageParametersAreAnUnmodifiableCopy() {
    Map<String, String> params = new LinkedHashMap<>(Map.of("user", "a"));
    StartupMessage startup = StartupMessage.v3(params);
    params.put("database", "x");
    assertThat(startup.parameters()).containsOnlyKeys("user");
    assertThatThrownBy(() -> startup.parameters().put("x", "y")).isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void startupMessageKeepsAnyMinorVersionOfProtocol3() {
    StartupPacket decoded = TestCodec.startup(bytes().i32(16).i32(0x0003_0005).cstr("user").cstr("a").i8(0).array());
    assertThat(((StartupMessage) decoded).minorVersion()).isEqualTo(5);
  }

  @Test
  void startupWithAnotherMajorVersionIsRejectedNamingIt() {
    assertViolation(() -> TestCodec.startup(bytes().i32(16).i32(0x0002_0000).cstr("user").cstr("a").i8(0).array()),
        "unsupported frontend protocol 2.0");
    assertViolation(() -> TestCodec.startup(bytes().i32(8).i32(80877105).array()),
        "unsupported frontend protocol 1234.5681");
  }

  @Test
  void startupMessageWithoutFinalTerminatorIsRejected() {
    assertViolation(() -> TestCodec.startup(bytes().i32(15).i32(196608).cstr("user").cstr("a").array()),
        "invalid StartupMessage message: insufficient data left in message for terminator");
  }

  @Test
  void startupMessageWithANameButNoValueIsRejected() {
    assertViolation(() -> TestCodec.startup(bytes().i32(13).i32(196608).cstr("user").array()),
        "missing terminator of value of parameter");
  }

  @Test
  void startupMessageWithBytesAfterTheTerminatorIsRejected() {
    assertViolation(() -> TestCodec.startup(bytes().i32(11).i32(196608).i8(0).i8(1).i8(2).array()),
        "2 unexpected bytes after the last field");
  }

  @Test
  void fixedSizeStartupPacketsMustHaveTheirExactLength() {
    assertViolation(() -> TestCodec.startup(bytes().i32(9).i32(80877103).i8(0).array()),
        "invalid SSLRequest message: 1 unexpected bytes");
    assertViolation(() -> TestCodec.startup(bytes().i32(12).i32(80877102).i32(1).array()),
        "invalid CancelRequest message: insufficient data left in message for secret key");
    assertViolation(() -> TestCodec.startup(bytes().i32(20).i32(80877102).i32(1).i32(2).i32(3).array()),
        "invalid CancelRequest message: 4 unexpected bytes");
  }

  @Test
  void startupPayloadShorterThanItsCodeIsRejected() {
    ByteBuf payload = bytes().i8(0).i8(3).buf();
    try {
      assertViolation(() -> FrontendDecoder.decodeStartup(payload), "insufficient data left in message for protocol version");
    } finally {
      payload.release();
    }
  }

  @Test
  void unknownTypeByteIsRejected() {
    assertViolation(() -> TestCodec.frontend(bytes().type('z').i32(4).array()), "invalid frontend message type 'z'");
    assertViolation(() -> TestCodec.frontend(bytes().i8(0).i32(4).array()), "invalid frontend message type 0");
  }

  @Test
  void stringWithoutTerminatorIsRejected() {
    assertViolation(() -> TestCodec.frontend(bytes().type('Q').i32(8).raw("abcd").array()),
        "invalid Query message: missing terminator of query string");
  }

  @Test
  void emptyMessagesWithABodyAreRejected() {
    for (char type : new char[] {'S', 'H', 'X', 'c'}) {
      assertViolation(() -> TestCodec.frontend(bytes().type(type).i32(5).i8(0).array()), "1 unexpected bytes after the last field");
    }
  }

  @Test
  void trailingBytesAfterTheLastFieldAreRejected() {
    assertViolation(() -> TestCodec.frontend(bytes().type('E').i32(12).cstr("p1").i32(0).i8(7).array()),
        "invalid Execute message: 1 unexpected bytes after the last field");
  }

  @Test
  void bindValueLengthBelowMinusOneIsRejected() {
    assertViolation(() -> TestCodec.frontend(bytes().type('B').i32(16).i8(0).i8(0).i16(0).i16(1).i32(-2).i16(0).array()),
        "invalid Bind message: invalid length -2 of parameter values");
  }

  @Test
  void bindValueLongerThanTheMessageIsRejectedBeforeAllocating() {
    assertViolation(() -> TestCodec.frontend(bytes().type('B').i32(16).i8(0).i8(0).i16(0).i16(1).i32(Integer.MAX_VALUE).i16(0).array()),
        "length 2147483647 of parameter values exceeds the 2 bytes left");
  }

  @Test
  void countsBeyondTheRemainingBytesAreRejected() {
    assertViolation(() -> TestCodec.frontend(bytes().type('B').i32(10).i8(0).i8(0).i16(0xFFFF).i16(0).array()),
        "65535 parameter format codes announced but only 2 bytes left");
    assertViolation(() -> TestCodec.frontend(bytes().type('P').i32(8).i8(0).i8(0).i16(2).array()),
        "invalid Parse message: 2 parameter types announced but only 0 bytes left");
    assertViolation(() -> TestCodec.frontend(bytes().type('F').i32(14).i32(1).i16(0).i16(1).i16(0).array()),
        "invalid FunctionCall message: 1 arguments announced but only 2 bytes left");
  }

  @Test
  void countsAreUnsigned16Bit() {
    int[] oids = new int[40_000];
    Arrays.fill(oids, 23);
    Parse parse = new Parse("", "SELECT", oids);
    byte[] wire = TestCodec.encode(parse);
    assertThat(wire[13]).isEqualTo((byte) 0x9C); // 40000 = 0x9C40, after type, length, "", "SELECT"
    assertThat(TestCodec.frontend(wire)).isEqualTo(parse);
  }

  @Test
  void describeAndCloseRejectAnUnknownTarget() {
    assertViolation(() -> TestCodec.frontend(bytes().type('D').i32(6).i8('X').i8(0).array()),
        "invalid Describe message: invalid target 'X', expected 'S' or 'P'");
    assertViolation(() -> TestCodec.frontend(bytes().type('C').i32(6).i8(0).i8(0).array()),
        "invalid Close message: invalid target 0");
  }

  @Test
  void passwordTypeIsReadAsTheKindTheSessionExpects() {
    byte[] wire = bytes().type('p').i32(9).cstr("abcd").array();
    assertThat(TestCodec.frontend(wire, PasswordKind.PASSWORD)).isEqualTo(new PasswordMessage("abcd"));
    assertThat(TestCodec.frontend(wire, PasswordKind.SASL_RESPONSE)).isEqualTo(new SaslResponse(Bytes.utf8("abcd\0")));
    assertThat(TestCodec.frontend(wire, PasswordKind.GSS)).isEqualTo(new GssResponse(Bytes.utf8("abcd\0")));
    assertViolation(() -> TestCodec.frontend(wire, PasswordKind.SASL_INITIAL),
        "invalid SASLInitialResponse message: insufficient data left in message for length of initial response");
  }

  @Test
  void saslInitialResponseLengthIsCheckedAgainstTheRest() {
    assertViolation(() -> TestCodec.frontend(bytes().type('p').i32(11).cstr("X").i32(-2).i8(0).array(), PasswordKind.SASL_INITIAL),
        "invalid length -2 of initial response");
    assertViolation(() -> TestCodec.frontend(bytes().type('p').i32(11).cstr("X").i32(100).i8(0).array(), PasswordKind.SASL_INITIAL),
        "length 100 of initial response exceeds the 1 bytes left");
    assertViolation(() -> TestCodec.frontend(bytes().type('p').i32(11).cstr("X").i32(0).i8(0).array(), PasswordKind.SASL_INITIAL),
        "1 unexpected bytes after the last field");
  }

  @Test
  void malformedUtf8BecomesReplacementCharacters() {
    assertThat(TestCodec.frontend(bytes().type('Q').i32(7).raw(new byte[] {'a', (byte) 0xC3}).i8(0).array()))
        .isEqualTo(new Query("a\uFFFD"));
  }

  @Test
  void secretsStayOutOfToString() {
    assertThat(new PasswordMessage("hunter2").toString()).doesNotContain("hunter2");
    assertThat(new SaslResponse(Bytes.utf8("p=proof")).toString()).doesNotContain("70"); // hex of 'p'
    assertThat(new CancelRequest(1, 424242).toString()).doesNotContain("424242");
  }

  @Test
  void recordsRefuseWhatCannotBeEncoded() {
    assertThatThrownBy(() -> new Query("a\0b")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> StartupMessage.v3(Map.of("", "x"))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Parse("", "", new int[65_536])).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Bind("", "", new short[0], new byte[65_536][], new short[0]))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Describe(null, "")).isInstanceOf(NullPointerException.class);
  }

  static void assertViolation(ThrowingCallable call, String messagePart) {
    assertThatThrownBy(call).isInstanceOf(ProtocolViolation.class).hasMessageContaining(messagePart);
  }
}
