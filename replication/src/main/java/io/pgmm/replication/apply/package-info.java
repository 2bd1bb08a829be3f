/**
 * Apply: {@link io.pgmm.replication.apply.ApplyService} replays peers' transactions (raw pgoutput messages) into
 * the local PostgreSQL on a bounded pool of worker backends, prepares each with its gid and votes ({@link
 * io.pgmm.replication.apply.Vote}); decisions run on a pool of their own. DDL travels as a {@code pgmm.ddl}
 * logical message in the {@link io.pgmm.replication.apply.DdlMessage} format. {@link
 * io.pgmm.replication.apply.MissingRowHandler} is the seam for waiting on earlier prepared transactions when an
 * UPDATE/DELETE finds no row.
 *
 * <p>Known gaps: no wound-wait conflict resolution yet (an apply blocked by anything waits {@code lockTimeout}
 * then votes No 40001); no replication origin (loop prevention relies on the gid); tables with REPLICA IDENTITY
 * FULL are matched on every column with {@code =}, which fails for types without equality (json, point) and
 * touches every duplicate row; values travel in text format only.
 */
package io.pgmm.replication.apply;
