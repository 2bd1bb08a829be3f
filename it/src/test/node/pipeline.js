// node pipeline.js PORT: drives node-postgres against 127.0.0.1:PORT as user postgres and prints
// one JSON object of facts, with no pids, times or other run-specific values, so the output
// through a pgmm sidecar can be compared byte for byte with the output against PostgreSQL.
//
// node-postgres writes Parse/Bind/Describe/Execute/Sync of a parameterized query in one write
// and does not wait for the answer before writing the next queued query, so the queries issued
// together below reach the server pipelined on one connection.
'use strict';

const { Client } = require('pg');

// pg 8 warns (on stderr) that queuing a query while another runs is deprecated; queuing is
// exactly the pipelining this script exists to exercise, so the warning is noise here.
process.noDeprecation = true;

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) {
  console.error('usage: node pipeline.js PORT');
  process.exit(2);
}

function sqlState(promise) {
  return promise.then(() => 'ok', (e) => e.code || String(e));
}

async function main() {
  const client = new Client({
    host: '127.0.0.1', port, user: 'postgres', database: 'postgres',
    application_name: 'NodePostgresPipelineTest',
  });
  await client.connect();
  const facts = {};
  try {
    // 1. 200 parameterized (unnamed) queries issued at once on one client.
    const unnamed = await Promise.all(Array.from({ length: 200 }, (_, i) =>
      client.query('select $1::int as n, $2::text as s, $1::int * 2 as twice', [i, 'row-' + i])));
    facts.unnamedCount = unnamed.length;
    facts.unnamedAllMatch = unnamed.every((r, i) =>
      r.rowCount === 1 && r.rows[0].n === i && r.rows[0].s === 'row-' + i && r.rows[0].twice === 2 * i);

    // 2. Named prepared statements, concurrently: Parse once per name, then Bind/Execute only.
    const named = await Promise.all(Array.from({ length: 200 }, (_, i) =>
      client.query({
        name: i % 2 === 0 ? 'pgmm_add' : 'pgmm_concat',
        text: i % 2 === 0 ? 'select $1::int + $2::int as v' : 'select $1::text || $2::text as v',
        values: i % 2 === 0 ? [i, 1000] : ['a' + i, 'b'],
      })));
    facts.namedCount = named.length;
    facts.namedAllMatch = named.every((r, i) => r.rows[0].v === (i % 2 === 0 ? i + 1000 : 'a' + i + 'b'));
    const prepared = await client.query(
      "select name from pg_prepared_statements where name like 'pgmm_%' order by name");
    facts.serverPreparedNames = prepared.rows.map((r) => r.name);

    // 3. A failing query in the middle of a pipeline: each query has its own Sync, so only it fails.
    const mixed = await Promise.allSettled([
      client.query('select $1::int as v', [1]),
      client.query('select 1 / $1::int as v', [0]),
      client.query('select $1::int as v', [3]),
      client.query({ name: 'pgmm_add', text: 'select $1::int + $2::int as v', values: [1, 'x'] }),
      client.query({ name: 'pgmm_add', text: 'select $1::int + $2::int as v', values: [2, 2] }),
    ]);
    facts.pipelineWithErrors = mixed.map((r) => (r.status === 'fulfilled' ? 'ok:' + r.value.rows[0].v : r.reason.code));

    // 4. A transaction with an error, then rollback: the row is gone and the client works on.
    await client.query('create temp table node_tx (id int primary key, v text)');
    const tx = [];
    tx.push(await sqlState(client.query('begin')));
    tx.push(await sqlState(client.query('insert into node_tx values ($1, $2)', [1, 'one'])));
    tx.push(await sqlState(client.query('insert into node_tx values ($1, $2)', [1, 'duplicate'])));
    tx.push(await sqlState(client.query('select * from node_tx where id = $1', [1])));
    tx.push(await sqlState(client.query('select 1')));
    tx.push(await sqlState(client.query('rollback')));
    facts.transactionStates = tx;
    facts.rowsAfterRollback = (await client.query('select count(*)::int as c from node_tx')).rows[0].c;

    // 5. A committed transaction whose statements were all queued at once.
    const committed = await Promise.all([
      client.query('begin'),
      ...Array.from({ length: 50 }, (_, i) => client.query('insert into node_tx values ($1, $2)', [i, 'v' + i])),
      client.query('commit'),
    ]);
    facts.committedStatements = committed.length;
    facts.rowsAfterCommit = (await client.query('select count(*)::int as c, sum(id)::int as s from node_tx')).rows[0];

    // 6. Types and a multi-row result through the extended protocol.
    const typed = await client.query(
      "select $1::numeric as num, $2::jsonb as doc, $3::bytea as bin, $4::text[] as arr, null::int as nothing",
      ['12345678901234567890.123456789', { a: [1, 2, { b: 'c' }] }, Buffer.from([0, 1, 254, 255]), ['x', 'y,z', null]]);
    const t = typed.rows[0];
    facts.types = { num: t.num, doc: t.doc, bin: t.bin.toString('hex'), arr: t.arr, nothing: t.nothing };
    const many = await client.query('select g, md5(g::text) as h from generate_series(1, $1::int) g', [10000]);
    facts.manyRows = many.rowCount;
    facts.manyRowsLast = many.rows[many.rows.length - 1];

    // 7. A simple-protocol multi-statement query (no parameters).
    const multi = await client.query('select 1 as a; select 2 as b; select 3 as c');
    facts.multiStatement = multi.map((r) => r.rows[0]);
  } finally {
    await client.end();
  }
  process.stdout.write(JSON.stringify(facts, null, 1) + '\n');
}

main().catch((e) => {
  console.error('FAILED:', e && e.stack ? e.stack : e);
  process.exit(1);
});
