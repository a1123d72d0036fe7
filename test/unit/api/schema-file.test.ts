import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { SCHEMA_FILE, schemaText } from '../../../tools/print-schema.js';

test('schema/schema.graphql is the SDL printed from the code (run: node --import tsx tools/print-schema.ts)', () => {
  const onDisk = readFileSync(SCHEMA_FILE, 'utf8');
  assert.ok(
    onDisk === schemaText(),
    'schema/schema.graphql is stale: run node --import tsx tools/print-schema.ts',
  );
});
