package io.pgmm.server.sql;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class StatementSplittingTest {

  private static List<String> texts(String sql) {
    return StatementClassifier.classify(sql).stream().map(Statement::text).toList();
  }

  static Stream<Arguments> oneStatementDespiteSemicolons() {
    return Stream.of(
        Arguments.of("single quotes", "SELECT 'a;b'"),
        Arguments.of("doubled quote inside single quotes", "SELECT 'it''s; fine'"),
        Arguments.of("E string with escaped quote", "SELECT E'\\'; still inside'"),
        Arguments.of("E string with escaped backslash then quote", "SELECT E'\\\\', ';'"),
        Arguments.of("lower-case e string", "SELECT e'\\';'"),
        Arguments.of("dollar quote", "SELECT $$a;b$$"),
        Arguments.of("tagged dollar quote", "SELECT $fn$ a; $$ not the end; $fn$"),
        Arguments.of("tagged dollar quote with underscore and digits", "SELECT $a_1$;$a_1$"),
        Arguments.of("double-quoted identifier", "SELECT 1 AS \"x;y\""),
        Arguments.of("doubled quote in identifier", "SELECT 1 AS \"x\"\";y\""),
        Arguments.of("line comment", "SELECT 1 -- ; not a split\n + 1"),
        Arguments.of("block comment", "SELECT /* ; */ 1"),
        Arguments.of("nested block comment", "SELECT /* a /* ; */ still comment ; */ 1"),
        Arguments.of("semicolon inside parentheses (CREATE RULE actions)",
            "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2))"),
        Arguments.of("function body with COMMIT and semicolons",
            "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $body$ BEGIN COMMIT; END; $body$"),
        Arguments.of("BEGIN ATOMIC body",
            "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 2 END; END"),
        Arguments.of("OR REPLACE PROCEDURE with BEGIN ATOMIC",
            "CREATE OR REPLACE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC INSERT INTO t VALUES (1); END"),
        Arguments.of("DO body as a single-quoted string",
            "DO 'BEGIN IF true THEN PERFORM 1; END IF; END'"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource
  void oneStatementDespiteSemicolons(String description, String sql) {
    assertThat(texts(sql)).containsExactly(sql);
    assertThat(texts(sql + ";")).containsExactly(sql);
  }

  @Test
  void commitThenBeginAreTwoStatements() {
    List<Statement> statements = StatementClassifier.classify("COMMIT; BEGIN");
    assertThat(statements).extracting(Statement::kind)
        .containsExactly(StatementKind.COMMIT, StatementKind.BEGIN);
    assertThat(statements).extracting(Statement::text).containsExactly("COMMIT", "BEGIN");
  }

  @Test
  void statementAfterBeginAtomicBodyIsSeparate() {
    assertThat(texts("CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END; SELECT 2"))
        .containsExactly("CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END", "SELECT 2");
  }

  @Test
  void plainBeginIsNotABlockOutsideCreateFunction() {
    assertThat(texts("BEGIN; SELECT 1; END")).containsExactly("BEGIN", "SELECT 1", "END");
  }

  @Test
  void textKeepsInnerCommentsButNotLeadingOrTrailingOnes() {
    assertThat(texts("  /* lead */ -- line\n SELECT /* in */ 1 -- trail\n ; \n"))
        .containsExactly("SELECT /* in */ 1");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", " ", ";", ";;", " ; ; ", "-- only a comment", "/* c */", "/* a /* b */ */ ;", "\n\t\r\f"})
  void emptyTextHasNoStatements(String sql) {
    assertThat(StatementClassifier.classify(sql)).isEmpty();
  }

  @Test
  void emptyStatementsBetweenRealOnesAreDropped() {
    assertThat(texts(";;SELECT 1;;; ;SELECT 2;")).containsExactly("SELECT 1", "SELECT 2");
  }

  @Test
  void parameterIsNotADollarQuote() {
    assertThat(texts("SELECT $1; SELECT $2")).containsExactly("SELECT $1", "SELECT $2");
    assertThat(texts("SELECT $1::text, $$;$$; SELECT 2")).containsExactly("SELECT $1::text, $$;$$", "SELECT 2");
  }

  @Test
  void dollarInsideAnIdentifierIsNotADollarQuote() {
    assertThat(texts("SELECT a$$b FROM t; SELECT 2")).containsExactly("SELECT a$$b FROM t", "SELECT 2");
  }

  @Test
  void closingDollarTagMustMatchExactly() {
    assertThat(texts("SELECT $a$ $b$ ; $ab$ ; $a$; SELECT 2")).containsExactly("SELECT $a$ $b$ ; $ab$ ; $a$", "SELECT 2");
  }

  @Test
  void identifierEndingInEIsNotAnEscapeString() {
    // "namE" followed by a quote: a plain string, in which a backslash escapes nothing.
    assertThat(texts("SELECT 1 AS namE, '\\'; SELECT 2")).containsExactly("SELECT 1 AS namE, '\\'", "SELECT 2");
  }

  @Test
  void plainStringBackslashDoesNotEscape() {
    assertThat(texts("SELECT 'a\\'; SELECT 2")).containsExactly("SELECT 'a\\'", "SELECT 2");
  }

  @Test
  void unterminatedQuoteRunsToTheEnd() {
    assertThat(texts("SELECT 'abc; SELECT 2")).containsExactly("SELECT 'abc; SELECT 2");
    assertThat(texts("SELECT /* abc; SELECT 2")).containsExactly("SELECT");
    assertThat(texts("SELECT $x$ abc; SELECT 2")).containsExactly("SELECT $x$ abc; SELECT 2");
  }

  @Test
  void commentMarkersInsideStringsAreText() {
    assertThat(texts("SELECT '--'; SELECT '/*'; SELECT 3")).containsExactly("SELECT '--'", "SELECT '/*'", "SELECT 3");
  }

  @Test
  void operatorFollowedByCommentStartsTheComment() {
    assertThat(texts("SELECT 1+--;\n2; SELECT 3")).containsExactly("SELECT 1+--;\n2", "SELECT 3");
  }

  @Test
  void unicodeIdentifiersAndStrings() {
    assertThat(texts("SELECT 'é;' AS ünïcödé; SELECT U&'\\0041;'")).containsExactly("SELECT 'é;' AS ünïcödé", "SELECT U&'\\0041;'");
  }

  @Test
  void endIfInsideDoBodyIsNotACommit() {
    List<Statement> statements = StatementClassifier.classify(
        "DO $$ BEGIN IF true THEN COMMIT; END IF; END $$; END");
    assertThat(statements).extracting(Statement::kind).containsExactly(StatementKind.DO, StatementKind.COMMIT);
  }
}
