package io.pgmm.protocol;

import static io.pgmm.protocol.Bytes.bytes;
import static io.pgmm.protocol.Bytes.utf8;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every message, both directions, next to the exact bytes PostgreSQL puts on the wire for it,
 * written out by hand. Lengths count the length word and the body, not the type byte.
 */
final class Samples {

  /** A message and its wire bytes; {@code kind} says how to read a frontend 'p'. */
  record Sample(String name, Object message, byte[] wire, PasswordKind kind) {
    @Override
    public String toString() {
      return name;
    }

    boolean isStartup() {
      return message instanceof StartupPacket;
    }
  }

  private Samples() {}

  private static Sample sample(String name, Object message, Bytes wire) {
    return new Sample(name, message, wire.array(), PasswordKind.PASSWORD);
  }

  private static Sample sample(String name, Object message, Bytes wire, PasswordKind kind) {
    return new Sample(name, message, wire.array(), kind);
  }

  static List<Sample> frontend() {
    Map<String, String> params = new LinkedHashMap<>();
    params.put("user", "alice");
    params.put("database", "shop");
    List<Sample> s = new ArrayList<>();
    s.add(sample("StartupMessage 3.0", new StartupMessage(196608, params),
        bytes().i32(34).i32(196608).cstr("user").cstr("alice").cstr("database").cstr("shop").i8(0)));
    s.add(sample("StartupMessage 3.2 without parameters", new StartupMessage(196610, Map.of()),
        bytes().i32(9).i32(196610).i8(0)));
    s.add(sample("SSLRequest", SslRequest.INSTANCE, bytes().i32(8).i32(80877103)));
    s.add(sample("GSSENCRequest", GssEncRequest.INSTANCE, bytes().i32(8).i32(80877104)));
    s.add(sample("CancelRequest", new CancelRequest(1234, 0x5EC2E7),
        bytes().i32(16).i32(80877102).i32(1234).i32(0x5EC2E7)));
    s.add(sample("PasswordMessage", new PasswordMessage("secret"),
        bytes().type('p').i32(11).cstr("secret")));
    s.add(sample("SASLInitialResponse", new SaslInitialResponse("SCRAM-SHA-256", utf8("n,,n=,r=abc")),
        bytes().type('p').i32(33).cstr("SCRAM-SHA-256").i32(11).raw("n,,n=,r=abc"), PasswordKind.SASL_INITIAL));
    s.add(sample("SASLInitialResponse without data", new SaslInitialResponse("SCRAM-SHA-256", null),
        bytes().type('p').i32(22).cstr("SCRAM-SHA-256").i32(-1), PasswordKind.SASL_INITIAL));
    s.add(sample("SASLResponse", new SaslResponse(utf8("c=biws,p=xyz")),
        bytes().type('p').i32(16).raw("c=biws,p=xyz"), PasswordKind.SASL_RESPONSE));
    s.add(sample("GSSResponse", new GssResponse(new byte[] {1, 2, 3}),
        bytes().type('p').i32(7).raw(new byte[] {1, 2, 3}), PasswordKind.GSS));
    s.add(sample("Query", new Query("SELECT 1"), bytes().type('Q').i32(13).cstr("SELECT 1")));
    s.add(sample("Query with UTF-8", new Query("SELECT 'é'"), bytes().type('Q').i32(16).cstr("SELECT 'é'")));
    s.add(sample("Parse", new Parse("s1", "SELECT $1", new int[] {23}),
        bytes().type('P').i32(23).cstr("s1").cstr("SELECT $1").i16(1).i32(23)));
    s.add(sample("Bind", new Bind("p1", "s1", new short[] {1}, new byte[][] {{0, 0, 0, 42}, null}, new short[] {0, 1}),
        bytes().type('B').i32(34).cstr("p1").cstr("s1").i16(1).i16(1)
            .i16(2).i32(4).raw(new byte[] {0, 0, 0, 42}).i32(-1)
            .i16(2).i16(0).i16(1)));
    s.add(sample("Bind unnamed without parameters", new Bind("", "", new short[0], new byte[0][], new short[0]),
        bytes().type('B').i32(12).i8(0).i8(0).i16(0).i16(0).i16(0)));
    s.add(sample("Describe statement", new Describe(DescribeTarget.STATEMENT, "s1"),
        bytes().type('D').i32(8).i8('S').cstr("s1")));
    s.add(sample("Describe unnamed portal", new Describe(DescribeTarget.PORTAL, ""),
        bytes().type('D').i32(6).i8('P').i8(0)));
    s.add(sample("Execute", new Execute("p1", 100), bytes().type('E').i32(11).cstr("p1").i32(100)));
    s.add(sample("Close portal", new Close(DescribeTarget.PORTAL, "p1"), bytes().type('C').i32(8).i8('P').cstr("p1")));
    s.add(sample("Sync", Sync.INSTANCE, bytes().type('S').i32(4)));
    s.add(sample("Flush", Flush.INSTANCE, bytes().type('H').i32(4)));
    s.add(sample("CopyData", new CopyData(utf8("a\tb\n")), bytes().type('d').i32(8).raw("a\tb\n")));
    s.add(sample("CopyDone", CopyDone.INSTANCE, bytes().type('c').i32(4)));
    s.add(sample("CopyFail", new CopyFail("oops"), bytes().type('f').i32(9).cstr("oops")));
    s.add(sample("FunctionCall", new FunctionCall(1598, new short[] {1}, new byte[][] {{0, 0, 0, 7}, null}, (short) 1),
        bytes().type('F').i32(28).i32(1598).i16(1).i16(1)
            .i16(2).i32(4).raw(new byte[] {0, 0, 0, 7}).i32(-1)
            .i16(1)));
    s.add(sample("Terminate", Terminate.INSTANCE, bytes().type('X').i32(4)));
    return s;
  }

  static List<Sample> backend() {
    List<Sample> s = new ArrayList<>();
    s.add(sample("AuthenticationOk", AuthenticationOk.INSTANCE, bytes().type('R').i32(8).i32(0)));
    s.add(sample("AuthenticationKerberosV5", AuthenticationKerberosV5.INSTANCE, bytes().type('R').i32(8).i32(2)));
    s.add(sample("AuthenticationCleartextPassword", AuthenticationCleartextPassword.INSTANCE,
        bytes().type('R').i32(8).i32(3)));
    s.add(sample("AuthenticationMD5Password", new AuthenticationMd5Password(new byte[] {1, 2, 3, 4}),
        bytes().type('R').i32(12).i32(5).raw(new byte[] {1, 2, 3, 4})));
    s.add(sample("AuthenticationSCMCredential", AuthenticationScmCredential.INSTANCE, bytes().type('R').i32(8).i32(6)));
    s.add(sample("AuthenticationGSS", AuthenticationGss.INSTANCE, bytes().type('R').i32(8).i32(7)));
    s.add(sample("AuthenticationGSSContinue", new AuthenticationGssContinue(new byte[] {9, 8}),
        bytes().type('R').i32(10).i32(8).raw(new byte[] {9, 8})));
    s.add(sample("AuthenticationSSPI", AuthenticationSspi.INSTANCE, bytes().type('R').i32(8).i32(9)));
    s.add(sample("AuthenticationSASL", new AuthenticationSasl(List.of("SCRAM-SHA-256-PLUS", "SCRAM-SHA-256")),
        bytes().type('R').i32(42).i32(10).cstr("SCRAM-SHA-256-PLUS").cstr("SCRAM-SHA-256").i8(0)));
    s.add(sample("AuthenticationSASLContinue", new AuthenticationSaslContinue(utf8("r=abc,s=xyz,i=4096")),
        bytes().type('R').i32(26).i32(11).raw("r=abc,s=xyz,i=4096")));
    s.add(sample("AuthenticationSASLFinal", new AuthenticationSaslFinal(utf8("v=sig")),
        bytes().type('R').i32(13).i32(12).raw("v=sig")));
    s.add(sample("ParameterStatus", new ParameterStatus("client_encoding", "UTF8"),
        bytes().type('S').i32(25).cstr("client_encoding").cstr("UTF8")));
    s.add(sample("BackendKeyData", new BackendKeyData(4242, 0xDEADBEEF),
        bytes().type('K').i32(12).i32(4242).i32(0xDEADBEEF)));
    s.add(sample("NegotiateProtocolVersion", new NegotiateProtocolVersion(0, List.of("_pq_.foo")),
        bytes().type('v').i32(21).i32(0).i32(1).cstr("_pq_.foo")));
    s.add(sample("ReadyForQuery idle", ReadyForQuery.IDLE, bytes().type('Z').i32(5).i8('I')));
    s.add(sample("ReadyForQuery in transaction", ReadyForQuery.IN_TRANSACTION, bytes().type('Z').i32(5).i8('T')));
    s.add(sample("ReadyForQuery failed", ReadyForQuery.FAILED, bytes().type('Z').i32(5).i8('E')));
    s.add(sample("RowDescription", new RowDescription(List.of(
            new RowDescription.Field("id", 16384, (short) 1, 23, (short) 4, -1, (short) 0),
            new RowDescription.Field("name", 16384, (short) 2, 25, (short) -1, -1, (short) 0))),
        bytes().type('T').i32(50).i16(2)
            .cstr("id").i32(16384).i16(1).i32(23).i16(4).i32(-1).i16(0)
            .cstr("name").i32(16384).i16(2).i32(25).i16(-1).i32(-1).i16(0)));
    s.add(sample("RowDescription without columns", new RowDescription(List.of()), bytes().type('T').i32(6).i16(0)));
    s.add(sample("DataRow", new DataRow(new byte[][] {utf8("42"), null, {}}),
        bytes().type('D').i32(20).i16(3).i32(2).raw("42").i32(-1).i32(0)));
    s.add(sample("CommandComplete", new CommandComplete("SELECT 1"), bytes().type('C').i32(13).cstr("SELECT 1")));
    s.add(sample("EmptyQueryResponse", EmptyQueryResponse.INSTANCE, bytes().type('I').i32(4)));
    s.add(sample("ErrorResponse", ErrorResponse.of("ERROR", "42P01", "relation \"t\" does not exist"),
        bytes().type('E').i32(55)
            .i8('S').cstr("ERROR").i8('V').cstr("ERROR").i8('C').cstr("42P01")
            .i8('M').cstr("relation \"t\" does not exist").i8(0)));
    s.add(sample("NoticeResponse", new NoticeResponse(Map.of(
            ErrorField.SEVERITY, "WARNING", ErrorField.SQLSTATE, "01000", ErrorField.MESSAGE, "hi")),
        bytes().type('N').i32(25).i8('S').cstr("WARNING").i8('C').cstr("01000").i8('M').cstr("hi").i8(0)));
    s.add(sample("NotificationResponse", new NotificationResponse(77, "ch", "hello"),
        bytes().type('A').i32(17).i32(77).cstr("ch").cstr("hello")));
    s.add(sample("ParseComplete", ParseComplete.INSTANCE, bytes().type('1').i32(4)));
    s.add(sample("BindComplete", BindComplete.INSTANCE, bytes().type('2').i32(4)));
    s.add(sample("CloseComplete", CloseComplete.INSTANCE, bytes().type('3').i32(4)));
    s.add(sample("NoData", NoData.INSTANCE, bytes().type('n').i32(4)));
    s.add(sample("PortalSuspended", PortalSuspended.INSTANCE, bytes().type('s').i32(4)));
    s.add(sample("ParameterDescription", new ParameterDescription(new int[] {23, 25}),
        bytes().type('t').i32(14).i16(2).i32(23).i32(25)));
    s.add(sample("CopyInResponse", new CopyInResponse(CopyFormat.TEXT, new short[] {0, 0}),
        bytes().type('G').i32(11).i8(0).i16(2).i16(0).i16(0)));
    s.add(sample("CopyOutResponse", new CopyOutResponse(CopyFormat.BINARY, new short[] {1}),
        bytes().type('H').i32(9).i8(1).i16(1).i16(1)));
    s.add(sample("CopyBothResponse", new CopyBothResponse(CopyFormat.BINARY, new short[0]),
        bytes().type('W').i32(7).i8(1).i16(0)));
    s.add(sample("CopyData", new CopyData(utf8("1\tx\n")), bytes().type('d').i32(8).raw("1\tx\n")));
    s.add(sample("CopyDone", CopyDone.INSTANCE, bytes().type('c').i32(4)));
    s.add(sample("FunctionCallResponse", new FunctionCallResponse(new byte[] {0, 0, 0, 1}),
        bytes().type('V').i32(12).i32(4).raw(new byte[] {0, 0, 0, 1})));
    s.add(sample("FunctionCallResponse NULL", new FunctionCallResponse(null), bytes().type('V').i32(8).i32(-1)));
    return s;
  }
}
