// The schema tables must say what cri-v1.proto says: same messages, field numbers, types, labels, enums, RPCs.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { FieldType, MessageType } from './proto.js';
import { Empty, MESSAGES, METHODS } from './schema.js';

/** The .proto beside this file in src/, or back in src/ when the test runs from dist/src/. */
function protoText(): string {
  const candidates = [
    fileURLToPath(new URL('./cri-v1.proto', import.meta.url)),
    fileURLToPath(new URL('../../../../src/runtime/cri/cri-v1.proto', import.meta.url)),
  ];
  const found = candidates.find((p) => existsSync(p));
  assert.ok(found, `cri-v1.proto not found at ${candidates.join(', ')}`);
  return readFileSync(found, 'utf8').replace(/\/\/.*$/gm, '');
}

interface ProtoDecls {
  messages: Map<string, Map<number, string>>;
  enums: Map<string, string[]>;
  rpcs: Map<string, { service: string; request: string; response: string }>;
}

/** Enough of a .proto reader for this file: flat messages, enums, services; each field as "label type name". */
function parseProto(text: string): ProtoDecls {
  const decls: ProtoDecls = { messages: new Map(), enums: new Map(), rpcs: new Map() };
  for (const m of text.matchAll(/message\s+(\w+)\s*\{([^}]*)\}/g)) {
    const fields = new Map<number, string>();
    for (const f of m[2]!.matchAll(/(repeated\s+)?(map<\s*string\s*,\s*string\s*>|\w+)\s+(\w+)\s*=\s*(\d+)\s*;/g)) {
      const label = f[2]!.startsWith('map<') ? 'map' : f[1] ? 'repeated' : 'optional';
      fields.set(Number(f[4]), `${label} ${label === 'map' ? 'string' : f[2]} ${f[3]}`);
    }
    decls.messages.set(m[1]!, fields);
  }
  for (const e of text.matchAll(/enum\s+(\w+)\s*\{([^}]*)\}/g)) {
    const values: string[] = [];
    for (const v of e[2]!.matchAll(/(\w+)\s*=\s*(\d+)\s*;/g)) values[Number(v[2])] = v[1]!;
    decls.enums.set(e[1]!, values);
  }
  for (const s of text.matchAll(/service\s+(\w+)\s*\{([^{}]*(?:\{\}[^{}]*)*)\}/g)) {
    for (const r of s[2]!.matchAll(/rpc\s+(\w+)\s*\(\s*(\w+)\s*\)\s*returns\s*\(\s*(\w+)\s*\)/g)) {
      decls.rpcs.set(r[1]!, { service: s[1]!, request: r[2]!, response: r[3]! });
    }
  }
  return decls;
}

function typeName(type: FieldType): string {
  return typeof type === 'string' ? type : type.name;
}

// ExecResponse, AttachResponse and PortForwardResponse share one table: all three are { string url = 1; }.
const ALIASES: Record<string, string> = { ExecResponse: 'UrlResponse', AttachResponse: 'UrlResponse', PortForwardResponse: 'UrlResponse' };

test('every schema message has the fields cri-v1.proto declares, with the same numbers, types and labels', () => {
  const decls = parseProto(protoText());
  const seen = new Set<MessageType>();
  const check = (type: MessageType, protoName: string) => {
    const declared = decls.messages.get(protoName);
    assert.ok(declared, `${protoName} is in cri-v1.proto`);
    const ours = new Map(type.fields.map((f) => [f.number, `${f.label} ${typeName(f.type)} ${f.name}`]));
    assert.deepEqual(ours, declared, protoName);
    for (const f of type.fields) {
      if (typeof f.type === 'object' && f.type.kind === 'enum') assert.deepEqual(f.type.values, decls.enums.get(f.type.name), `enum ${f.type.name}`);
      if (typeof f.type === 'object' && f.type.kind === 'message' && !seen.has(f.type)) {
        seen.add(f.type);
        check(f.type, f.type.name);
      }
    }
  };
  for (const type of MESSAGES) check(type, type.name);
  for (const [name, alias] of Object.entries(ALIASES)) {
    const type = Object.values(METHODS).find((m) => m.response.name === alias)!.response;
    check(type, name);
  }
  assert.equal(decls.messages.size, MESSAGES.length + Object.keys(ALIASES).length, 'every message of the .proto has a table');
});

test('every RPC goes to the path and with the message types cri-v1.proto declares', () => {
  const decls = parseProto(protoText());
  assert.deepEqual(Object.keys(METHODS).sort(), [...decls.rpcs.keys()].sort());
  for (const [name, rpc] of Object.entries(METHODS)) {
    const declared = decls.rpcs.get(name)!;
    assert.equal(rpc.path, `/runtime.v1.${declared.service}/${name}`);
    assert.equal(rpc.request === Empty ? 'Empty' : rpc.request.name, declared.request, `${name} request`);
    assert.equal(rpc.response.name, ALIASES[declared.response] ?? declared.response, `${name} response`);
  }
});
