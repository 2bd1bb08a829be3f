/** Who votes on a transaction, behind one interface ({@link io.pgmm.replication.membership.Membership}). */
package io.pgmm.replication.membership;
