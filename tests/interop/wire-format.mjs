// A DKMS client written from docs/wire-format.md alone, with Node.js built-ins only (no npm packages).
// For every vector in the doc it builds the bytes from the vector's JSON input — MessagePack by hand, Ed25519 and
// SHA-256 from node:crypto — and compares them with the bytes the doc lists.
//
//   node tests/interop/wire-format.mjs [docs/wire-format.md]
//     Prints one line per vector and "N of M vectors reproduced"; exits 1 on any MISMATCH.
//   node tests/interop/wire-format.mjs --build inputs.json
//     Builds each transaction of a JSON array of inputs (the vectors' "input" shape; subject "derive" for an
//     inception's own identifier) and prints one JSON array of {envelope (base64, for tx.submit), txHash, identity?}.
import { readFileSync } from 'node:fs';
import { createHash, createPrivateKey, createPublicKey, sign } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const buildMode = process.argv[2] === '--build';
const docPath = buildMode ? null : process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'wire-format.md');

// ---- MessagePack: only the forms the format uses, each in its shortest encoding ----
class Writer {
  constructor() { this.parts = []; }
  byte(...b) { this.parts.push(Buffer.from(b)); }
  raw(buf) { this.parts.push(Buffer.from(buf)); }
  nil() { this.byte(0xc0); }
  bool(v) { this.byte(v ? 0xc3 : 0xc2); }
  uint(v) {
    v = BigInt(v);
    if (v < 0n) throw new Error('negative integer in a DKMS transaction');
    if (v < 0x80n) this.byte(Number(v));
    else if (v <= 0xffn) this.byte(0xcc, Number(v));
    else if (v <= 0xffffn) { const b = Buffer.alloc(3); b[0] = 0xcd; b.writeUInt16BE(Number(v), 1); this.raw(b); }
    else if (v <= 0xffffffffn) { const b = Buffer.alloc(5); b[0] = 0xce; b.writeUInt32BE(Number(v), 1); this.raw(b); }
    else { const b = Buffer.alloc(9); b[0] = 0xcf; b.writeBigUInt64BE(v, 1); this.raw(b); }
  }
  str(s) {
    const b = Buffer.from(s, 'utf8');
    if (b.length < 32) this.byte(0xa0 | b.length);
    else if (b.length <= 0xff) this.byte(0xd9, b.length);
    else { const h = Buffer.alloc(3); h[0] = 0xda; h.writeUInt16BE(b.length, 1); this.raw(h); }
    this.raw(b);
  }
  bin(buf) {
    const b = Buffer.from(buf);
    if (b.length <= 0xff) this.byte(0xc4, b.length);
    else if (b.length <= 0xffff) { const h = Buffer.alloc(3); h[0] = 0xc5; h.writeUInt16BE(b.length, 1); this.raw(h); }
    else { const h = Buffer.alloc(5); h[0] = 0xc6; h.writeUInt32BE(b.length, 1); this.raw(h); }
    this.raw(b);
  }
  array(n) {
    if (n < 16) this.byte(0x90 | n);
    else { const h = Buffer.alloc(3); h[0] = 0xdc; h.writeUInt16BE(n, 1); this.raw(h); }
  }
  bytes() { return Buffer.concat(this.parts); }
}

// ---- base58btc (identifiers) ----
const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
function base58Encode(buf) {
  let n = BigInt('0x' + (Buffer.from(buf).toString('hex') || '0'));
  let out = '';
  while (n > 0n) { out = ALPHABET[Number(n % 58n)] + out; n /= 58n; }
  for (const b of buf) { if (b !== 0) break; out = '1' + out; }
  return out;
}
function base58Decode(text) {
  let n = 0n;
  for (const c of text) {
    const d = ALPHABET.indexOf(c);
    if (d < 0) throw new Error(`not base58: ${text}`);
    n = n * 58n + BigInt(d);
  }
  let hex = n === 0n ? '' : n.toString(16);
  if (hex.length % 2) hex = '0' + hex;
  let zeros = 0;
  while (zeros < text.length && text[zeros] === '1') zeros++;
  return Buffer.concat([Buffer.alloc(zeros), Buffer.from(hex, 'hex')]);
}

// An identity is 16 bytes: did:dkms:<base58btc> (the governance subject is given as 32 hex digits of zeros).
function identityBytes(text) {
  if (!text.startsWith('did:dkms:')) return Buffer.from(text, 'hex');
  const b = base58Decode(text.slice('did:dkms:'.length));
  if (b.length > 16) throw new Error(`identity longer than 16 bytes: ${text}`);
  return Buffer.concat([Buffer.alloc(16 - b.length), b]);
}
const identityText = (bytes) => 'did:dkms:' + base58Encode(bytes);
const hex = (h) => Buffer.from(h, 'hex');
const sha256 = (b) => createHash('sha256').update(b).digest();

// ---- Ed25519 from a 32-byte seed (RFC 8032 private key), through PKCS#8 ----
const PKCS8_ED25519 = hex('302e020100300506032b657004220420');
function ed25519(seedHex) {
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, hex(seedHex)]), format: 'der', type: 'pkcs8' });
  const spki = createPublicKey(key).export({ format: 'der', type: 'spki' });
  return { publicKey: spki.subarray(spki.length - 32), sign: (msg) => sign(null, msg, key) };
}

// ---- Payload layouts (docs/wire-format.md "Payloads") ----
const TYPE_TAGS = {
  Inception: 1, Rotation: 2, AddKeyAgreementKey: 3, RevokeKey: 4, SetRecoveryPolicy: 5, RecoveryStart: 6,
  RecoveryCancel: 7, RecoveryFinalize: 8, Deactivate: 9, SetAgentPolicy: 10, SetValidators: 11,
};
const optional = (w, v, f) => (v === null || v === undefined ? w.nil() : f(v));
function keyConfig(w, k) {
  w.array(4);
  w.array(k.signingKeys.length); k.signingKeys.forEach((x) => w.bin(hex(x)));
  w.uint(k.threshold);
  w.array(k.nextKeyDigests.length); k.nextKeyDigests.forEach((x) => w.bin(hex(x)));
  w.uint(k.nextThreshold);
}
function agreementKey(w, k) { w.array(3); w.str(k.id); w.bin(hex(k.key)); w.str(k.purpose); }
function recoveryPolicy(w, r) {
  w.array(3);
  w.array(r.trustees.length); r.trustees.forEach((t) => w.bin(identityBytes(t)));
  w.uint(r.threshold);
  w.uint(r.delaySeconds);
}
function inceptionFields(w, p) {
  w.array(3);
  keyConfig(w, p.keys);
  w.array(p.keyAgreementKeys.length); p.keyAgreementKeys.forEach((k) => agreementKey(w, k));
  optional(w, p.recovery, (r) => recoveryPolicy(w, r));
}
const PAYLOADS = {
  Inception: inceptionFields,
  Rotation: (w, p) => { w.array(2); keyConfig(w, p.keys); optional(w, p.recovery, (r) => recoveryPolicy(w, r)); },
  AddKeyAgreementKey: (w, p) => { w.array(1); agreementKey(w, p.key); },
  RevokeKey: (w, p) => {
    w.array(3);
    optional(w, p.keyId, (v) => w.str(v));
    optional(w, p.signingKey, (v) => w.bin(hex(v)));
    optional(w, p.compromisedAtHeight, (v) => w.uint(v));
  },
  SetRecoveryPolicy: (w, p) => { w.array(2); recoveryPolicy(w, p.policy); w.bool(p.immediate); },
  RecoveryStart: (w, p) => { w.array(1); keyConfig(w, p.proposed); },
  RecoveryCancel: (w) => w.array(0),
  RecoveryFinalize: (w) => w.array(0),
  Deactivate: (w) => w.array(0),
  SetAgentPolicy: (w, p) => {
    w.array(3);
    w.str(p.policyId);
    w.array(p.changes.length); p.changes.forEach((c) => { w.array(2); w.bin(hex(c.agent)); w.uint(c.rights); });
    optional(w, p.adminThreshold, (v) => w.uint(v));
  },
  SetValidators: (w, p) => {
    w.array(1);
    w.array(p.validators.length);
    p.validators.forEach((v) => { w.array(3); w.bin(hex(v.nodeKey)); w.str(v.address); w.uint(v.power); });
  },
};

// Signatures in canonical order: own-behalf (no signer) first, then by signer identity, then by key; bytes ascending.
function compareSignatures(a, b) {
  if ((a.signer === null) !== (b.signer === null)) return a.signer === null ? -1 : 1;
  if (a.signer !== null) { const c = Buffer.compare(a.signer, b.signer); if (c !== 0) return c; }
  return Buffer.compare(a.key, b.key);
}

function buildTransaction(input) {
  if (input.subject === 'derive') {
    const bare = new Writer();
    inceptionFields(bare, input.payload);
    input = { ...input, subject: identityText(sha256(bare.bytes()).subarray(0, 16)) };
  }
  const body = new Writer();
  body.array(4);
  body.str(input.chainId);
  body.bin(identityBytes(input.subject));
  body.uint(input.sequence);
  body.array(2);
  body.uint(TYPE_TAGS[input.type]);
  PAYLOADS[input.type](body, input.payload);
  const bodyBytes = body.bytes();
  const message = Buffer.concat([Buffer.from('DKMS/tx/v1\0', 'ascii'), bodyBytes]);
  const sigs = input.signers.map((s) => {
    const k = ed25519(s.seed);
    return { key: k.publicKey, signature: k.sign(message), signer: s.signer === null ? null : identityBytes(s.signer) };
  }).sort(compareSignatures);
  const env = new Writer();
  env.array(2);
  env.bin(bodyBytes);
  env.array(sigs.length);
  sigs.forEach((s) => { env.array(3); env.bin(s.key); env.bin(s.signature); optional(env, s.signer, (v) => env.bin(v)); });
  const out = {
    body: bodyBytes.toString('hex'),
    signatures: sigs.map((s) => ({ key: s.key.toString('hex'), signature: s.signature.toString('hex'), signer: s.signer === null ? null : identityText(s.signer) })),
    envelope: env.bytes().toString('hex'),
    txHash: sha256(bodyBytes).toString('hex'),
  };
  if (input.type === 'Inception') {
    const bare = new Writer();
    inceptionFields(bare, input.payload); // the identifier hashes the bare payload array, without the [tag, …] wrapper
    out.inceptionPayload = bare.bytes().toString('hex');
    out.identity = identityText(sha256(bare.bytes()).subarray(0, 16));
  }
  return out;
}

function buildAgentProof(input) {
  const w = new Writer();
  w.array(5);
  w.str(input.chainId);
  w.bin(hex(input.verifierNonce));
  w.bin(identityBytes(input.owner));
  w.str(input.policyId);
  w.str(input.action);
  const statement = w.bytes();
  const agent = ed25519(input.agentSeed);
  const signature = agent.sign(Buffer.concat([Buffer.from('DKMS/agent-proof/v1\0', 'ascii'), statement]));
  return { statement: statement.toString('hex'), agentKey: agent.publicKey.toString('hex'), signature: signature.toString('hex') };
}

if (buildMode) {
  const inputs = JSON.parse(readFileSync(process.argv[3], 'utf8'));
  const built = inputs.map((input) => {
    const b = buildTransaction(input);
    return { envelope: Buffer.from(b.envelope, 'hex').toString('base64'), txHash: b.txHash, identity: b.identity ?? null };
  });
  console.log(JSON.stringify(built));
  process.exit(0);
}

// ---- Read the vectors out of the doc and compare ----
const doc = readFileSync(docPath, 'utf8').replace(/\r\n/g, '\n');
const begin = doc.indexOf('<!-- wire-vectors:begin');
const end = doc.indexOf('<!-- wire-vectors:end -->');
if (begin < 0 || end < begin) { console.error(`no vector section in ${docPath}`); process.exit(2); }
const vectors = [...doc.slice(begin, end).matchAll(/```json\n([\s\S]*?)\n```/g)].map((m) => JSON.parse(m[1]));

let good = 0;
for (const v of vectors) {
  const built = v.kind === 'agentProof' ? buildAgentProof(v.input) : buildTransaction(v.input);
  const wrong = Object.keys(built).filter((k) => JSON.stringify(built[k]) !== JSON.stringify(v[k]));
  if (v.kind === 'transaction' && v.input.type === 'Inception' && built.identity !== v.input.subject) wrong.push('subject');
  if (wrong.length === 0) { good++; console.log(`ok ${v.name}`); continue; }
  for (const k of wrong) console.log(`MISMATCH ${v.name} ${k}: built ${JSON.stringify(built[k])}, doc ${JSON.stringify(v[k])}`);
}
console.log(`${good} of ${vectors.length} vectors reproduced`);
process.exit(good === vectors.length && vectors.length > 0 ? 0 : 1);
