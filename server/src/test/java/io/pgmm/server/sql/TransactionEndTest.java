package io.pgmm.server.sql;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class TransactionEndTest {

  static Stream<Arguments> ends() {
    return Stream.of(
        Arguments.of("COMMIT", TransactionEnd.COMMIT),
        Arguments.of("commit;", TransactionEnd.COMMIT),
        Arguments.of("  /* c */ Commit Work ; -- done", TransactionEnd.COMMIT),
        Arguments.of("COMMIT TRANSACTION", TransactionEnd.COMMIT),
        Arguments.of("END", TransactionEnd.COMMIT),
        Arguments.of("end transaction", TransactionEnd.COMMIT),
        Arguments.of("COMMIT AND NO CHAIN", TransactionEnd.COMMIT),
        Arguments.of("COMMIT AND CHAIN", TransactionEnd.COMMIT_AND_CHAIN),
        Arguments.of("END WORK AND CHAIN", TransactionEnd.COMMIT_AND_CHAIN),
        Arguments.of("ROLLBACK", TransactionEnd.ROLLBACK),
        Arguments.of("ABORT", TransactionEnd.ROLLBACK),
        Arguments.of("rollback transaction and no chain", TransactionEnd.ROLLBACK),
        Arguments.of("ROLLBACK AND CHAIN", TransactionEnd.ROLLBACK_AND_CHAIN),
        Arguments.of("ABORT WORK AND CHAIN", TransactionEnd.ROLLBACK_AND_CHAIN),
        Arguments.of("PREPARE TRANSACTION 'g1'", TransactionEnd.PREPARE_TRANSACTION),
        Arguments.of("ROLLBACK TO SAVEPOINT a", TransactionEnd.NONE),
        Arguments.of("ROLLBACK TO a", TransactionEnd.NONE),
        Arguments.of("COMMIT PREPARED 'g1'", TransactionEnd.NONE),
        Arguments.of("ROLLBACK PREPARED 'g1'", TransactionEnd.NONE),
        Arguments.of("PREPARE p AS COMMIT", TransactionEnd.NONE),
        Arguments.of("PREPARE endit AS SELECT 1", TransactionEnd.NONE),
        Arguments.of("BEGIN", TransactionEnd.NONE),
        Arguments.of("SELECT 1", TransactionEnd.NONE),
        Arguments.of("SELECT 'COMMIT'", TransactionEnd.NONE),
        Arguments.of("-- COMMIT\nSELECT 1", TransactionEnd.NONE),
        Arguments.of("/* COMMIT */ SELECT 1", TransactionEnd.NONE),
        Arguments.of("committed", TransactionEnd.NONE),
        Arguments.of("ending", TransactionEnd.NONE),
        Arguments.of("UPDATE t SET a = 1 WHERE b = 'x';", TransactionEnd.NONE),
        Arguments.of("DO $$ BEGIN COMMIT; END $$", TransactionEnd.NONE),
        Arguments.of("CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN COMMIT; END; $$",
            TransactionEnd.NONE),
        Arguments.of("", TransactionEnd.NONE),
        Arguments.of(";", TransactionEnd.NONE),
        Arguments.of("SELECT 1; SELECT 2", TransactionEnd.NONE),
        Arguments.of("COMMIT; BEGIN", TransactionEnd.MULTI_STATEMENT),
        Arguments.of("INSERT INTO t VALUES (1); COMMIT", TransactionEnd.MULTI_STATEMENT),
        Arguments.of("BEGIN; INSERT INTO t VALUES (1); END;", TransactionEnd.MULTI_STATEMENT),
        Arguments.of("COMMIT;;", TransactionEnd.COMMIT),
        Arguments.of("SELECT ';'; SELECT $$;$$", TransactionEnd.NONE));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @MethodSource
  void ends(String sql, TransactionEnd expected) {
    assertThat(StatementClassifier.endOf(sql)).isEqualTo(expected);
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @MethodSource("ends")
  void agreesWithClassifyForSingleStatements(String sql, TransactionEnd expected) {
    var statements = StatementClassifier.classify(sql);
    if (statements.size() == 1) {
      assertThat(statements.get(0).transactionEnd()).isEqualTo(expected);
    }
  }

  @Test
  void isCommitAndIsRollback() {
    assertThat(StatementClassifier.isCommit("END")).isTrue();
    assertThat(StatementClassifier.isCommit("COMMIT AND CHAIN")).isTrue();
    assertThat(StatementClassifier.isCommit("COMMIT PREPARED 'x'")).isFalse();
    assertThat(StatementClassifier.isCommit("ROLLBACK")).isFalse();
    assertThat(StatementClassifier.isRollback("abort")).isTrue();
    assertThat(StatementClassifier.isRollback("ROLLBACK TO SAVEPOINT a")).isFalse();
    assertThat(StatementClassifier.isRollback("ROLLBACK PREPARED 'x'")).isFalse();
  }
}
