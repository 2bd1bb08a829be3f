package io.pgmm.server.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SessionStateTest {

  @Test
  void followsTheStartupPathToActive() {
    SessionState s = SessionState.AWAITING_STARTUP
        .moveTo(SessionState.TLS_HANDSHAKE)
        .moveTo(SessionState.AWAITING_STARTUP)
        .moveTo(SessionState.CONNECTING_BACKEND)
        .moveTo(SessionState.AUTHENTICATING)
        .moveTo(SessionState.ACTIVE);
    assertThat(s).isEqualTo(SessionState.ACTIVE);
  }

  @Test
  void everyStateButClosedCanClose() {
    for (SessionState s : SessionState.values()) {
      if (s != SessionState.CLOSED) {
        assertThat(s.moveTo(SessionState.CLOSED)).isEqualTo(SessionState.CLOSED);
      }
    }
  }

  @Test
  void rejectsSkippingAuthentication() {
    assertThatThrownBy(() -> SessionState.CONNECTING_BACKEND.moveTo(SessionState.ACTIVE))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> SessionState.CLOSED.moveTo(SessionState.ACTIVE))
        .isInstanceOf(IllegalStateException.class);
  }
}
