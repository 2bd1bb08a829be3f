package io.pgmm.server.sql;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CreateTableAsTest {

  @ParameterizedTest
  @CsvSource(delimiter = '|', textBlock = """
      CREATE TABLE t AS SELECT 1                            | CREATE TABLE t AS SELECT 1\\nWITH NO DATA
      create table t as select * from u with data           | create table t as select * from u WITH NO DATA
      CREATE TABLE t AS SELECT 1 WITH NO DATA               | CREATE TABLE t AS SELECT 1 WITH NO DATA
      CREATE UNLOGGED TABLE t (a) AS VALUES (1);            | CREATE UNLOGGED TABLE t (a) AS VALUES (1)\\nWITH NO DATA
      CREATE TABLE t AS SELECT 'with data' -- with data     | CREATE TABLE t AS SELECT 'with data'\\nWITH NO DATA
      CREATE TABLE t AS SELECT * FROM (SELECT 1) "data"     | CREATE TABLE t AS SELECT * FROM (SELECT 1) "data"\\nWITH NO DATA
      CREATE MATERIALIZED VIEW v AS SELECT 1                | CREATE MATERIALIZED VIEW v AS SELECT 1
      """)
  void peersCreateTheTableEmptyAndTakeTheRowsFromTheStream(String sql, String expected) {
    assertThat(CreateTableAs.forPeers(sql)).isEqualTo(expected.replace("\\n", "\n"));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', textBlock = """
      SELECT 1 AS a INTO t
      WITH c AS (SELECT 1) SELECT * INTO TABLE t FROM c
      """)
  void selectIntoIsNotRewritten(String sql) {
    assertThat(CreateTableAs.forPeers(sql)).isNull();
  }
}
