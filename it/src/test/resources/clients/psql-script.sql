-- Run by PsqlThroughSidecarTest with psql -X -v ON_ERROR_STOP=1 -f, once against PostgreSQL
-- and once through the sidecar; stdout and stderr must be identical. Only temporary objects,
-- so the two runs do not see each other.
\pset null '<null>'
create temp table items (id int primary key, name text not null, price numeric(10, 2), tags text[]);
insert into items values (1, 'apple', 0.50, '{fruit,red}');
insert into items values (2, 'bread', 2.25, null), (3, 'cheese', 7.99, '{dairy}');
insert into items select g, 'bulk-' || g, g / 100.0, array['bulk'] from generate_series(10, 509) g;
copy items (id, name, price) from stdin;
1000	inline one	1.00
1001	inline two	\N
\.

do $$
declare
  total numeric;
begin
  select sum(price) into total from items;
  raise notice 'sum of prices is %', total;
  begin
    insert into items values (1, 'duplicate', 0, null);
  exception when unique_violation then
    raise notice 'caught %', sqlstate;
  end;
end
$$;

-- An error inside a transaction: the rest of the transaction is refused until ROLLBACK.
\set ON_ERROR_STOP 0
begin;
insert into items values (2000, 'never committed', 1, null);
select 1 / 0;
select count(*) from items;
rollback;

-- A savepoint keeps the transaction alive across an error.
begin;
insert into items values (2001, 'kept', 1, null);
savepoint s1;
insert into items values (1, 'duplicate', 0, null);
rollback to savepoint s1;
insert into items values (2002, 'kept too', 2, null);
commit;
\set ON_ERROR_STOP 1

-- Several statements in one Query message.
select count(*) as n from items \; select max(id) as top from items;

select id, name, price, tags from items where id < 10 or id >= 1000 order by id;
select count(*) as rows, sum(price) as total, min(name), max(name) from items;
select name as first_name from items where id = 1 \gset
\echo first item is :first_name
select format('select %s as from_gexec', i) from generate_series(1, 3) i \gexec
\pset format unaligned
select id, name from items where id between 10 and 14 order by id;
