/**
 * Change capture: {@link io.pgmm.replication.capture.NodeSetup} prepares the local PostgreSQL (schema pgmm,
 * pgmm.applied_xacts, publication pgmm_pub, two-phase slot pgmm_&lt;node&gt;), and {@link
 * io.pgmm.replication.capture.ChangeCapture} streams this node's own prepared transactions from the slot to a
 * {@link io.pgmm.replication.capture.CaptureListener}, skipping peers' applied transactions and reporting writes
 * that bypassed the sidecar.
 *
 * <p>Known gaps: pgoutput {@code streaming} is not requested, so PostgreSQL decodes a transaction only at its
 * PREPARE (spilling to disk beyond {@code logical_decoding_work_mem}) and the first change of a very large
 * transaction reaches peers only then; capture itself never holds a transaction. A listener call that blocks
 * longer than {@code wal_sender_timeout} makes the walsender end the stream; capture reconnects and delivery
 * restarts from the confirmed LSN.
 */
package io.pgmm.replication.capture;
