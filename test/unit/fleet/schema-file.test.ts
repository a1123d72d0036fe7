import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { FLEET_SCHEMA_FILE, fleetSchemaText } from '../../../tools/print-schema.js';

test("schema/fleet.graphql is the collector's SDL printed from the code (run: node --import tsx tools/print-schema.ts)", () => {
  const onDisk = readFileSync(FLEET_SCHEMA_FILE, 'utf8');
  assert.ok(
    onDisk === fleetSchemaText(),
    'schema/fleet.graphql is stale: run node --import tsx tools/print-schema.ts',
  );
});
