// Exposed fields read their property without a resolver. Pothos gives every `t.expose*` field a
// resolver `(parent) => parent[name]`; graphql-jit calls a field's resolver as a function with a resolve
// info built per call (an object per field per row: a 1000-entry history answer built ~6000 of them),
// while a field with no resolver is compiled into a property read in the row's object literal.
// graphql-js's default resolver reads the same property, so the answers stay the same: the API's
// resolvers return plain objects (views.ts), whose exposed properties are data, never methods.
import { isObjectType } from 'graphql';
import type { GraphQLSchema } from 'graphql';

const done = new WeakSet<GraphQLSchema>();

/**
 * Drops the resolver of every field exposed under its own name (Pothos's `pothosExposedField`) and
 * taking no arguments, so that it is read as a property. In place, once per schema; returns it.
 */
export function exposedFieldsAsProperties(schema: GraphQLSchema): GraphQLSchema {
  if (done.has(schema)) return schema;
  done.add(schema);
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      if (field.extensions['pothosExposedField'] === field.name && field.args.length === 0) {
        field.resolve = undefined;
      }
    }
  }
  return schema;
}
