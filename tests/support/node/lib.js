// Shared helpers for chainflow's Node test tooling: compile the test contracts with the npm
// `solc` package, talk JSON-RPC to Anvil with the global fetch, and ABI-encode calls by hand.
// No ethers/web3. The npm packages come from ops/setup (ops/.tools/node); CF_NODE_MODULES
// overrides that folder.
'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..', '..');
const CONTRACTS_DIR = path.join(ROOT, 'tests', 'support', 'contracts');
const NODE_MODULES =
  process.env.CF_NODE_MODULES || path.join(ROOT, 'ops', '.tools', 'node', 'node_modules');
const CACHE_DIR = path.join(NODE_MODULES, '..', 'solc-cache');
const DEFAULT_RPC = 'http://127.0.0.1:8545';

function requireTool(name) {
  try {
    return require(path.join(NODE_MODULES, name));
  } catch (err) {
    throw new Error(`cannot load ${name} from ${NODE_MODULES} (run ops/setup): ${err.message}`);
  }
}

// keccak256 of a string or Buffer, as 64 hex digits without 0x.
function keccak256(data) {
  return requireTool('js-sha3').keccak256(data);
}

// --- compiling ---------------------------------------------------------------------------

// Compiles tests/support/contracts/<name>.sol and returns {abi, bytecode, methodIdentifiers,
// eventTopics}. Results are cached by source and compiler version (loading solc takes seconds).
function compile(name) {
  const file = `${name}.sol`;
  const source = fs.readFileSync(path.join(CONTRACTS_DIR, file), 'utf8');
  const input = {
    language: 'Solidity',
    sources: { [file]: { content: source } },
    settings: {
      optimizer: { enabled: true, runs: 200 },
      evmVersion: 'cancun',
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.methodIdentifiers'] } },
    },
  };
  const solcVersion = require(path.join(NODE_MODULES, 'solc', 'package.json')).version;
  const key = crypto.createHash('sha256').update(solcVersion).update(JSON.stringify(input))
    .digest('hex').slice(0, 24);
  const cacheFile = path.join(CACHE_DIR, `${name}-${key}.json`);
  if (fs.existsSync(cacheFile)) return JSON.parse(fs.readFileSync(cacheFile, 'utf8'));

  const solc = requireTool('solc');
  const output = JSON.parse(solc.compile(JSON.stringify(input)));
  const errors = (output.errors || []).filter((e) => e.severity === 'error');
  if (errors.length) {
    throw new Error(`solc: ${file}:\n${errors.map((e) => e.formattedMessage).join('\n')}`);
  }
  const contract = output.contracts[file] && output.contracts[file][name];
  if (!contract) throw new Error(`solc: no contract ${name} in ${file}`);
  const eventTopics = {};
  for (const item of contract.abi) {
    if (item.type !== 'event') continue;
    const sig = `${item.name}(${item.inputs.map((i) => i.type).join(',')})`;
    eventTopics[sig] = '0x' + keccak256(sig);
  }
  // The ABIs of every contract of the file (a factory's products among them).
  const abis = {};
  for (const [other, compiled] of Object.entries(output.contracts[file])) abis[other] = compiled.abi;
  const result = {
    name,
    abi: contract.abi,
    abis,
    bytecode: '0x' + contract.evm.bytecode.object,
    methodIdentifiers: contract.evm.methodIdentifiers,
    eventTopics,
    solcVersion: solc.version(),
  };
  fs.mkdirSync(CACHE_DIR, { recursive: true });
  fs.writeFileSync(cacheFile, JSON.stringify(result));
  return result;
}

// --- ABI encoding ------------------------------------------------------------------------

const word = (hex) => hex.padStart(64, '0');

function toBigInt(value) {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return BigInt(value);
  return BigInt(String(value));
}

function isDynamic(type) {
  return type === 'bytes' || type === 'string' || type.endsWith('[]');
}

// Encodes one static value (address, uintN, intN, bool, bytesN) as 64 hex digits.
function encodeStatic(type, value) {
  if (type === 'address') {
    const hex = String(value).toLowerCase().replace(/^0x/, '');
    if (!/^[0-9a-f]{40}$/.test(hex)) throw new Error(`bad address: ${value}`);
    return word(hex);
  }
  if (type === 'bool') return word(value === true || value === 'true' || value === 1 ? '1' : '0');
  if (/^uint\d*$/.test(type)) {
    const v = toBigInt(value);
    if (v < 0n || v >= 1n << 256n) throw new Error(`${type} out of range: ${value}`);
    return word(v.toString(16));
  }
  if (/^int\d*$/.test(type)) {
    const v = toBigInt(value);
    return word(BigInt.asUintN(256, v).toString(16));
  }
  if (/^bytes\d+$/.test(type)) {
    const hex = String(value).replace(/^0x/, '');
    return hex.padEnd(64, '0');
  }
  throw new Error(`unsupported ABI type: ${type}`);
}

function encodeDynamic(type, value) {
  if (type === 'bytes' || type === 'string') {
    const hex = type === 'string'
      ? Buffer.from(String(value), 'utf8').toString('hex')
      : String(value).replace(/^0x/, '');
    const padded = hex.padEnd(Math.ceil(hex.length / 64) * 64, '0');
    return word((hex.length / 2).toString(16)) + padded;
  }
  const inner = type.slice(0, -2);
  if (isDynamic(inner)) throw new Error(`nested dynamic types unsupported: ${type}`);
  return word(value.length.toString(16)) + value.map((v) => encodeStatic(inner, v)).join('');
}

// ABI-encodes values for types (head/tail layout), as hex without 0x.
function encodeArgs(types, values) {
  if (types.length !== values.length) {
    throw new Error(`expected ${types.length} arguments, got ${values.length}`);
  }
  let head = '';
  let tail = '';
  const headBytes = 32 * types.length;
  types.forEach((type, i) => {
    if (isDynamic(type)) {
      head += word((headBytes + tail.length / 2).toString(16));
      tail += encodeDynamic(type, values[i]);
    } else {
      head += encodeStatic(type, values[i]);
    }
  });
  return head + tail;
}

// Splits 'name(type,type)' into its argument types.
function signatureTypes(signature) {
  const m = /^\w+\((.*)\)$/.exec(signature.replace(/\s+/g, ''));
  if (!m) throw new Error(`bad signature: ${signature}`);
  return m[1] === '' ? [] : m[1].split(',');
}

// Calldata for signature with values; the selector comes from methodIdentifiers when given
// (solc's output), otherwise from keccak256 of the signature.
function encodeCall(signature, values, methodIdentifiers) {
  const selector = (methodIdentifiers && methodIdentifiers[signature]) ||
    keccak256(signature).slice(0, 8);
  return '0x' + selector + encodeArgs(signatureTypes(signature), values);
}

// --- JSON-RPC ----------------------------------------------------------------------------

let rpcId = 0;

async function rpc(url, method, params = []) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: ++rpcId, method, params }),
  });
  if (!res.ok) throw new Error(`${method}: HTTP ${res.status} from ${url}`);
  const body = await res.json();
  if (body.error) {
    throw new Error(`${method}: ${body.error.message}${body.error.data ? ' ' + JSON.stringify(body.error.data) : ''}`);
  }
  return body.result;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Polls eth_getTransactionReceipt until the transaction is mined.
async function waitReceipt(url, hash, timeoutMs = 60000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const receipt = await rpc(url, 'eth_getTransactionReceipt', [hash]);
    if (receipt) return receipt;
    if (Date.now() > deadline) throw new Error(`transaction ${hash} not mined in ${timeoutMs} ms`);
    await sleep(100);
  }
}

// Sends a transaction from an unlocked account; returns the hash.
async function sendTransaction(url, tx) {
  return rpc(url, 'eth_sendTransaction', [tx]);
}

// Sends and waits; throws when the transaction reverted.
async function transact(url, tx) {
  const hash = await sendTransaction(url, tx);
  const receipt = await waitReceipt(url, hash);
  if (receipt.status !== '0x1') throw new Error(`transaction ${hash} reverted`);
  return receipt;
}

// Compiles and deploys contract `name` from `from` (default eth_accounts[0]).
async function deploy(url, name, from) {
  const compiled = compile(name);
  const sender = from || (await rpc(url, 'eth_accounts'))[0];
  const receipt = await transact(url, { from: sender, data: compiled.bytecode });
  return {
    name,
    address: receipt.contractAddress,
    txHash: receipt.transactionHash,
    blockNumber: Number(receipt.blockNumber),
    deployer: sender,
    abi: compiled.abi,
    abis: compiled.abis || { [name]: compiled.abi },
    methodIdentifiers: compiled.methodIdentifiers,
    eventTopics: compiled.eventTopics,
  };
}

// Simple command-line parsing: --key value, --flag; repeated keys collect into arrays.
function parseArgs(argv, flags = []) {
  const out = { _: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) { out._.push(arg); continue; }
    const eq = arg.indexOf('=');
    const key = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
    let value;
    if (eq > 0) value = arg.slice(eq + 1);
    else if (flags.includes(key)) value = true;
    else if (i + 1 < argv.length) value = argv[++i];
    else throw new Error(`--${key} needs a value`);
    if (key in out) out[key] = [].concat(out[key], value);
    else out[key] = value;
  }
  return out;
}

module.exports = {
  ROOT, DEFAULT_RPC, compile, keccak256, encodeArgs, encodeCall, signatureTypes,
  rpc, sleep, waitReceipt, sendTransaction, transact, deploy, parseArgs,
};
