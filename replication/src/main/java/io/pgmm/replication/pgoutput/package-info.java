/**
 * The pgoutput logical replication protocol, version 3 (PostgreSQL 15): {@link
 * io.pgmm.replication.pgoutput.PgOutputMessage} (one record per message, under a sealed interface) and {@link
 * io.pgmm.replication.pgoutput.PgOutputDecoder} (bytes to message, bounds-checked, no I/O). Used by capture (to
 * route messages) and apply (to replay them); peers exchange the raw bytes, not the records.
 */
package io.pgmm.replication.pgoutput;
