// Exposed fields are read as properties (src/api/property-fields.ts): a field exposed under its own name
// loses its resolver (graphql-jit then compiles a property read), one exposed under another name or
// with its own resolver keeps it, and the answers stay the same under graphql-js and graphql-jit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import SchemaBuilder from '@pothos/core';
import { graphql, parse } from 'graphql';
import type { GraphQLObjectType } from 'graphql';
import { compileQuery, isCompiledQuery } from 'graphql-jit';
import { exposedFieldsAsProperties } from '../../../src/api/property-fields.js';

interface Row {
  readonly name: string;
  readonly size: number;
  readonly other: string;
}

function schema() {
  const b = new SchemaBuilder<{ DefaultFieldNullability: false }>({ defaultFieldNullability: false });
  const RowRef = b.objectRef<Row>('Row').implement({
    fields: (t) => ({
      name: t.exposeString('name'),
      size: t.exposeInt('size'),
      renamed: t.exposeString('other'),
      computed: t.string({ resolve: (r) => r.name.toUpperCase() }),
    }),
  });
  const rows: Row[] = [
    { name: 'a', size: 1, other: 'x' },
    { name: 'b', size: 2, other: 'y' },
  ];
  b.queryType({ fields: (t) => ({ rows: t.field({ type: [RowRef], resolve: () => rows }) }) });
  return b.toSchema();
}

test('only fields exposed under their own name lose their resolver; answers stay the same', async () => {
  const s = schema();
  const query = '{ rows { name size renamed computed } }';
  const run = async (): Promise<unknown> =>
    JSON.parse(JSON.stringify(await graphql({ schema: s, source: query })));
  const before = await run();
  assert.equal(exposedFieldsAsProperties(s), s);
  const f = (s.getType('Row') as GraphQLObjectType).getFields();
  assert.equal(f['name']!.resolve, undefined);
  assert.equal(f['size']!.resolve, undefined);
  assert.equal(typeof f['renamed']!.resolve, 'function');
  assert.equal(typeof f['computed']!.resolve, 'function');
  const after = await run();
  assert.deepEqual(after, before);
  assert.deepEqual(before, {
    data: {
      rows: [
        { name: 'a', size: 1, renamed: 'x', computed: 'A' },
        { name: 'b', size: 2, renamed: 'y', computed: 'B' },
      ],
    },
  });
  const compiled = compileQuery(s, parse(query));
  assert.ok(isCompiledQuery(compiled));
  assert.deepEqual(JSON.parse(JSON.stringify(await compiled.query(undefined, {}, {}))), before);
});
