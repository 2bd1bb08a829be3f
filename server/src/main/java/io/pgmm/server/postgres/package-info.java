/**
 * The node's local PostgreSQL when pgmm runs it ({@code postgres.mode: managed}), and bare PostgreSQL servers for
 * tests.
 *
 * <p>Entry point: {@link io.pgmm.server.postgres.PostgresManager}. Binaries are found by
 * {@link io.pgmm.server.postgres.PostgresBinaries#discover}; commands run as the {@code postgres} user when the JVM
 * is root. Failures are {@link io.pgmm.server.postgres.PostgresException}s naming the step and carrying the tail of
 * the output and of the server log.
 *
 * <p>In a test:
 * <pre>{@code
 * try (PostgresManager pg = PostgresManager.forTest(tempDir, freePort)) {   // tempDir must be o+x when root
 *     pg.ensureStarted();
 *     try (Connection c = DriverManager.getConnection(pg.jdbcUrl("postgres"))) { ... }
 * }                                                                          // stops it, even if the test failed
 * }</pre>
 *
 * <p>On a node: {@code PostgresManager.of(nodeConfig)}, {@code start()} before accepting clients, {@code stop()} at
 * shutdown; connect with {@link io.pgmm.server.postgres.PostgresManager#connect} (it adds the generated password
 * when {@code trustLoopback} is off).
 */
package io.pgmm.server.postgres;
