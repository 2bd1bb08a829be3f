package io.pgmm.server.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class DdlMarksTest {

  @Test
  void marksHashOnlyTheAsciiCharactersAsTheGuardDoes() {
    // what PostgreSQL computes: md5(regexp_replace('comment on t is ''café''', '[^\x01-\x7F]', '', 'g'))
    assertThat(DdlMarks.md5("comment on t is 'café'")).isEqualTo(DdlMarks.md5("comment on t is 'caf'"));
    // a Latin-1 byte read as UTF-8 becomes U+FFFD, which is left out as well
    assertThat(DdlMarks.md5("comment on t is 'caf\uFFFD'")).isEqualTo(DdlMarks.md5("comment on t is 'caf'"));
    assertThat(DdlMarks.md5("a bc")).isEqualTo("7e224683cb6c97a1d7404422ce2e8b86"); // md5('a bc') in psql
  }

  @Test
  void setExpressionListsEveryQueryOfTheUnit() {
    assertThat(DdlMarks.setExpression(List.of("a bc", "create table t ()")))
        .isEqualTo("pg_catalog.set_config('pgmm.ddl_marks', '7e224683cb6c97a1d7404422ce2e8b86 "
            + DdlMarks.md5("create table t ()") + "', false)");
  }
}
