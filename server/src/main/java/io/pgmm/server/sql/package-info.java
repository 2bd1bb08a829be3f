/**
 * Recognises, in the SQL text clients send, where transactions begin and end and what each statement does,
 * with a lexer and a few keywords, never a parser.
 *
 * <p>Entry points: {@link io.pgmm.server.sql.StatementClassifier#classify(String)} splits a simple-Query string
 * into {@link io.pgmm.server.sql.Statement}s, each with a {@link io.pgmm.server.sql.StatementKind} and the
 * details the session acts on (access mode, isolation level, AND CHAIN, mayWrite, locksRows, replicated,
 * volatileRewrite, a name); {@link io.pgmm.server.sql.StatementClassifier#endOf(String)} answers, for every
 * Parse and Query, whether the text ends the transaction, and is cheap for text that does not.
 *
 * <h2>Lexing</h2>
 * {@code SqlLexer} draws token borders as PostgreSQL's {@code scan.l} does: {@code '…'} with {@code ''},
 * {@code E'…'} with backslash escapes (only when the E stands alone, so {@code namE'x'} is an identifier and a
 * plain string), {@code $$…$$} and {@code $tag$…$tag$} ({@code $1} is a parameter, and a {@code $} inside an
 * identifier is part of it), {@code "…"} identifiers, {@code --} comments and nested block comments. A
 * semicolon ends a statement only outside parentheses ({@code CREATE RULE … DO (a; b)}) and outside the
 * {@code BEGIN ATOMIC … END} body of CREATE FUNCTION/PROCEDURE, found with psql's own heuristic. Plain strings
 * are read with {@code standard_conforming_strings = on}, PostgreSQL's default; a client that turns it off
 * and hides a semicolon behind {@code \'} would be split wrongly. Unterminated quotes and comments run to the
 * end of the text; PostgreSQL refuses such a string whole, so nothing of it runs anyway. Everything is
 * O(length), with no regular expression and no allocation per token.
 *
 * <h2>What is DDL</h2>
 * DDL is what changes the schema or the cluster-wide catalogs and is not decoded by logical replication, so
 * the session captures its text for the peers ({@code pgmm.ddl}) inside the transaction:
 * CREATE/ALTER/DROP of any object (tables, indexes, views, materialized views, functions, procedures, types,
 * domains, schemas, sequences, triggers, extensions, policies, rules, …), COMMENT ON, GRANT/REVOKE, SECURITY
 * LABEL, REASSIGN/DROP OWNED, IMPORT FOREIGN SCHEMA, REFRESH MATERIALIZED VIEW (a materialized view's rows are
 * not published, so every node refreshes its own), and roles, which are cluster-wide. {@code CREATE TABLE …
 * AS}, {@code SELECT … INTO} and {@code CREATE MATERIALIZED VIEW} are {@code DDL_CREATE_TABLE_AS}: their rows
 * are decoded as well, so peers replay them {@code WITH NO DATA}. An {@code ALTER TABLE} that fills a column
 * during a rewrite with values each node would compute for itself (a default calling {@code random()},
 * {@code clock_timestamp()}, {@code gen_random_uuid()}, {@code nextval()}, …, a serial or identity column, or
 * {@code ALTER … TYPE … USING} such a call) is flagged {@code volatileRewrite} for the session to refuse with
 * 0A000. {@code now()} and the other stable functions are not flagged, as the design decided, although each
 * node evaluates them at its own replay time; a user-defined volatile function cannot be seen in the text.
 *
 * <h2>What stays local</h2>
 * Temporary objects ({@code CREATE TEMP …}, {@code … pg_temp.name}, {@code SELECT … INTO TEMP}) are per node
 * and never replicated: {@code LOCAL_ONLY} (with mayWrite, since PostgreSQL refuses them in a read-only
 * transaction). ANALYZE, CLUSTER of a table, REINDEX, CHECKPOINT and LOAD run on this node only
 * ({@code LOCAL_ONLY}). VACUUM, ALTER SYSTEM (each node has its own configuration), REINDEX CONCURRENTLY or of
 * a whole schema/database/system, CLUSTER without a table, subscriptions, CREATE/DROP DATABASE (one database
 * is replicated; the others are each node's own) and CREATE/DROP TABLESPACE (its path is the machine's) cannot
 * run in a block and stay local: {@code NOT_IN_BLOCK} with {@code replicated() == false}. CREATE/DROP INDEX
 * CONCURRENTLY and REFRESH MATERIALIZED VIEW CONCURRENTLY are {@code NOT_IN_BLOCK} with {@code replicated() ==
 * true}: every node runs them, outside 2PC, after this one. (REFRESH …
 * CONCURRENTLY is accepted in a block by PostgreSQL, but it uses a temporary table, so the block cannot be
 * prepared: verified on 15.18.) Row locks ({@code SELECT … FOR UPDATE}), LOCK TABLE, LISTEN/NOTIFY, SET and
 * cursors are per node too. A DROP or ALTER of a temporary object cannot be told from its text and is
 * classified as DDL.
 *
 * <h2>mayWrite</h2>
 * {@code mayWrite} means PostgreSQL's read-only mode may refuse the statement, so an autocommit run needs a
 * read-write transaction. It is a cheap promise about the text: reads that call {@code nextval(} or
 * {@code setval(} (looked for as tokens, so never inside strings or comments) are marked; a read calling a
 * user function that writes is not, and the session's 25006 retry covers it. {@code SELECT … FOR UPDATE} is a
 * READ with {@code locksRows}: it changes nothing replicated but is refused in a read-only transaction too
 * (verified), see {@link io.pgmm.server.sql.Statement#needsReadWrite()}. Where the text is ambiguous (a column
 * called {@code update} in a WITH, say) the answer errs toward a write, which costs only a read-write
 * transaction, never a missed replication.
 *
 * <h2>Why OTHER is a write</h2>
 * Text the classifier does not recognise may be a statement of a newer PostgreSQL or one it simply does not
 * know. Calling it a read could let a change commit locally without reaching the peers; calling it a write
 * only costs a read-write transaction and the end-of-transaction check, which finds nothing replicated when
 * there was nothing. So {@code OTHER} has {@code mayWrite == true}.
 */
package io.pgmm.server.sql;
