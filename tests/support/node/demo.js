#!/usr/bin/env node
// The demo scenario behind ops/up: deploys TestNft721, TestMulti1155 and TestToken20, a
// ticketing factory (TestTicketFactory, which makes Ticket contracts) and a DAO (TestDao),
// then mints, transfers and burns tokens, creates events, sells and checks in tickets,
// proposes, votes, bids and donates at random among the node's accounts (Anvil's 10), a few
// transactions per second, until stopped or --count transactions were mined.
//
//   node tests/support/node/demo.js [--rpc URL] [--count N] [--seed S] [--rate TX_PER_S]
//                                   [--out FILE] [--quiet]
//                                   [--config-base TOML --config-out TOML --abi-dir DIR]
//
// With --config-out, writes the chainflow configuration of the demo: --config-base with a
// [[contracts]] entry per deployed contract (the token standards, and the factory, its
// tickets and the DAO by their ABIs, written to --abi-dir as solc emits them).
//
// Owners and balances are tracked locally so every transfer is sent by the current holder; a
// reverted transaction means that tracking is wrong and stops the demo (exit 1). Transactions
// go out in rounds of independent ones (no sender or token twice in a round), each round waits
// for its receipts. --seed makes the sequence of actions reproducible. --out writes the
// deployed addresses as JSON once they are known.
'use strict';

const fs = require('node:fs');
const lib = require('./lib');

// mulberry32: a small deterministic PRNG.
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ZERO = '0x0000000000000000000000000000000000000000';
const short = (a) => a.slice(0, 8);

class Demo {
  constructor(url, accounts, contracts, random) {
    this.url = url;
    this.accounts = accounts;
    this.c = contracts;
    this.rand = random;
    this.nftOwner = new Map();   // ERC-721 token id -> owner
    this.nextNftId = 1;
    this.multi = new Map();      // `${id}:${holder}` -> amount (ERC-1155)
    this.erc20 = new Map();      // holder -> amount
    this.tickets = [];           // Ticket contracts the factory made
    this.proposals = 0;          // DAO proposals made
  }

  pick(list) { return list[Math.floor(this.rand() * list.length)]; }
  int(lo, hi) { return lo + Math.floor(this.rand() * (hi - lo + 1)); }
  other(addr) { return this.pick(this.accounts.filter((a) => a !== addr)); }

  // Chooses one action whose sender and tokens are not in `busy`; returns null if none fits.
  plan(busy) {
    if (this.c.TestTicketFactory && this.rand() < 0.35) return this.planApps(busy);
    const free = (...keys) => keys.every((k) => !busy.has(k));
    const roll = this.rand();
    const holders1155 = [...this.multi].filter(([k, v]) => v > 0n).map(([k]) => k);
    const holders20 = [...this.erc20].filter(([, v]) => v > 0n).map(([k]) => k);
    if (roll < 0.25 || this.nftOwner.size < 3) {
      const from = this.pick(this.accounts);
      const to = this.pick(this.accounts);
      const id = this.nextNftId++;
      if (!free(from)) return null;
      return { from, keys: [from, `721:${id}`], label: `721 mint #${id} -> ${short(to)}`,
        contract: 'TestNft721', sig: 'mint(address,uint256)', args: [to, id],
        apply: () => this.nftOwner.set(id, to) };
    }
    if (roll < 0.60 || roll < 0.65 && this.nftOwner.size < 10) {
      const id = this.pick([...this.nftOwner.keys()]);
      const from = this.nftOwner.get(id);
      const to = this.other(from);
      if (!free(from, `721:${id}`)) return null;
      return { from, keys: [from, `721:${id}`],
        label: `721 transfer #${id} ${short(from)} -> ${short(to)}`,
        contract: 'TestNft721', sig: 'transferFrom(address,address,uint256)', args: [from, to, id],
        apply: () => this.nftOwner.set(id, to) };
    }
    if (roll < 0.65) {
      const id = this.pick([...this.nftOwner.keys()]);
      const from = this.nftOwner.get(id);
      if (!free(from, `721:${id}`)) return null;
      return { from, keys: [from, `721:${id}`], label: `721 burn #${id} by ${short(from)}`,
        contract: 'TestNft721', sig: 'burn(uint256)', args: [id],
        apply: () => this.nftOwner.delete(id) };
    }
    if (roll < 0.75 || holders1155.length === 0) {
      const from = this.pick(this.accounts);
      const to = this.pick(this.accounts);
      const id = this.int(1, 5);
      const amount = BigInt(this.int(1, 100));
      const key = `${id}:${to}`;
      if (!free(from, `1155:${key}`)) return null;
      return { from, keys: [from, `1155:${key}`], label: `1155 mint ${amount} of #${id} -> ${short(to)}`,
        contract: 'TestMulti1155', sig: 'mint(address,uint256,uint256)', args: [to, id, amount],
        apply: () => this.multi.set(key, (this.multi.get(key) || 0n) + amount) };
    }
    if (roll < 0.88) {
      const key = this.pick(holders1155);
      const [id, from] = key.split(':');
      const to = this.other(from);
      const toKey = `${id}:${to}`;
      const amount = BigInt(this.int(1, Number(this.multi.get(key))));
      if (!free(from, `1155:${key}`, `1155:${toKey}`)) return null;
      const batch = this.rand() < 0.3;
      return { from, keys: [from, `1155:${key}`, `1155:${toKey}`],
        label: `1155 ${batch ? 'batch ' : ''}transfer ${amount} of #${id} ${short(from)} -> ${short(to)}`,
        contract: 'TestMulti1155',
        sig: batch ? 'safeBatchTransferFrom(address,address,uint256[],uint256[],bytes)'
          : 'safeTransferFrom(address,address,uint256,uint256,bytes)',
        args: batch ? [from, to, [id], [amount], '0x'] : [from, to, id, amount, '0x'],
        apply: () => {
          this.multi.set(key, this.multi.get(key) - amount);
          this.multi.set(toKey, (this.multi.get(toKey) || 0n) + amount);
        } };
    }
    if (roll < 0.93 || holders20.length === 0) {
      const from = this.pick(this.accounts);
      const to = this.pick(this.accounts);
      const amount = BigInt(this.int(1, 1000)) * 10n ** 18n;
      if (!free(from, `20:${to}`)) return null;
      return { from, keys: [from, `20:${to}`], label: `20 mint ${amount / 10n ** 18n}e18 -> ${short(to)}`,
        contract: 'TestToken20', sig: 'mint(address,uint256)', args: [to, amount],
        apply: () => this.erc20.set(to, (this.erc20.get(to) || 0n) + amount) };
    }
    const from = this.pick(holders20);
    const to = this.other(from);
    const balance = this.erc20.get(from);
    const amount = balance / BigInt(this.int(1, 4));
    if (!free(from, `20:${from}`, `20:${to}`)) return null;
    return { from, keys: [from, `20:${from}`, `20:${to}`],
      label: `20 transfer ${amount} ${short(from)} -> ${short(to)}`,
      contract: 'TestToken20', sig: 'transfer(address,uint256)', args: [to, amount],
      apply: () => {
        this.erc20.set(from, balance - amount);
        this.erc20.set(to, (this.erc20.get(to) || 0n) + amount);
      } };
  }

  // A ticketing or DAO action (contracts indexed by their ABI).
  planApps(busy) {
    const from = this.pick(this.accounts);
    if (busy.has(from)) return null;
    const roll = this.rand();
    const title = `show ${this.int(1, 999)}`;
    if (this.tickets.length === 0 || roll < 0.08) {
      return { from, keys: [from], label: `tickets: create "${title}"`, contract: 'TestTicketFactory',
        sig: 'create(string)', args: [title],
        apply: (receipt) => {
          for (const log of receipt.logs) {
            if (log.address.toLowerCase() !== this.c.TestTicketFactory.address.toLowerCase()) continue;
            this.tickets.push('0x' + log.topics[1].slice(26));
          }
        } };
    }
    const ticket = this.pick(this.tickets);
    if (roll < 0.35) {
      const count = this.int(1, 4);
      return { from, keys: [from], label: `tickets: ${short(from)} buys ${count} at ${short(ticket)}`,
        contract: 'TestTicketFactory', to: ticket, sig: 'buy(uint256)', args: [count], apply: () => {} };
    }
    if (roll < 0.45) {
      const id = this.int(1, 200);
      return { from, keys: [from], label: `tickets: ${short(from)} checks in #${id}`,
        contract: 'TestTicketFactory', to: ticket, sig: 'checkIn(uint256)', args: [id], apply: () => {} };
    }
    if (roll < 0.6 || this.proposals === 0) {
      return { from, keys: [from, 'dao:proposals'], label: `dao: ${short(from)} proposes`,
        contract: 'TestDao', sig: 'propose(string)', args: [`proposal ${this.int(1, 9999)}`],
        apply: () => { this.proposals += 1; } };
    }
    if (roll < 0.8) {
      const id = this.int(1, this.proposals);
      const support = this.rand() < 0.6;
      return { from, keys: [from], label: `dao: ${short(from)} votes ${support ? 'for' : 'against'} #${id}`,
        contract: 'TestDao', sig: 'vote(uint256,bool,uint256)', args: [id, support, this.int(1, 100)],
        apply: () => {} };
    }
    if (roll < 0.9) {
      const amount = BigInt(this.int(1, 500)) * 10n ** 16n;
      return { from, keys: [from], label: `dao: ${short(from)} bids`, contract: 'TestDao',
        sig: 'bid(uint256,uint256)', args: [this.int(1, 3), amount], apply: () => {} };
    }
    const amount = BigInt(this.int(1, 100)) * 10n ** 17n;
    return { from, keys: [from], label: `dao: ${short(from)} donates`, contract: 'TestDao',
      sig: 'donate(uint256,string)', args: [amount, this.pick(['for the library', 'ni hao', 'merci 🙏'])],
      apply: () => {} };
  }

  // Sends up to `size` independent transactions and waits for them; returns how many.
  async round(size) {
    const busy = new Set();
    const actions = [];
    for (let tries = 0; actions.length < size && tries < size * 4; tries++) {
      const a = this.plan(busy);
      if (!a) continue;
      a.keys.forEach((k) => busy.add(k));
      actions.push(a);
    }
    const hashes = [];
    for (const a of actions) {
      const c = this.c[a.contract];
      // A ticket's calls go to the ticket (the factory's ABI does not have them).
      const data = lib.encodeCall(a.sig, a.args, a.to ? undefined : c.methodIdentifiers);
      hashes.push(await lib.sendTransaction(this.url, { from: a.from, to: a.to || c.address, data }));
    }
    for (let i = 0; i < actions.length; i++) {
      const receipt = await lib.waitReceipt(this.url, hashes[i]);
      if (receipt.status !== '0x1') {
        throw new Error(`reverted: ${actions[i].label} (tx ${hashes[i]}); owner tracking is wrong`);
      }
      actions[i].apply(receipt);
      if (!this.quiet) {
        console.log(`block ${Number(receipt.blockNumber)} ${actions[i].label} tx ${hashes[i]}`);
      }
    }
    return actions.length;
  }
}

const STANDARDS = { TestNft721: 'erc721', TestMulti1155: 'erc1155', TestToken20: 'erc20' };

// --config-base + one [[contracts]] entry per deployed contract -> --config-out; the ABIs of
// the factory, its tickets and the DAO -> --abi-dir.
function writeConfig(args, contracts) {
  const dir = args['abi-dir'];
  if (!args['config-base'] || !dir) throw new Error('--config-out needs --config-base and --abi-dir');
  fs.mkdirSync(dir, { recursive: true });
  const abiFile = (contract, name) => {
    const file = `${dir}/${name}.json`;
    fs.writeFileSync(file, JSON.stringify(contracts[contract].abis[name], null, 2) + '\n');
    return file;
  };
  let toml = fs.readFileSync(args['config-base'], 'utf8');
  toml += '\n# Added by tests/support/node/demo.js: the demo\'s contracts.\n';
  for (const [name, standard] of Object.entries(STANDARDS)) {
    toml += `[[contracts]]\nchain = "anvil"\naddress = "${contracts[name].address}"\nstandard = "${standard}"\n`;
  }
  const factory = contracts.TestTicketFactory;
  toml += `[[contracts]]\nchain = "anvil"\nname = "ticket_factory"\naddress = "${factory.address}"\n` +
    `abi = "${abiFile('TestTicketFactory', 'TestTicketFactory')}"\n`;
  toml += `[[contracts]]\nchain = "anvil"\nname = "tickets"\nabi = "${abiFile('TestTicketFactory', 'Ticket')}"\n` +
    'factory = { contract = "ticket_factory", event = "EventCreated", parameter = "ticket" }\n';
  toml += `[[contracts]]\nchain = "anvil"\nname = "dao"\naddress = "${contracts.TestDao.address}"\n` +
    `abi = "${abiFile('TestDao', 'TestDao')}"\nformat = "json"\n`;
  fs.writeFileSync(args['config-out'], toml);
}

async function main() {
  const args = lib.parseArgs(process.argv.slice(2), ['quiet', 'help']);
  if (args.help) {
    console.log('usage: demo.js [--rpc URL] [--count N] [--seed S] [--rate TX_PER_S] [--out FILE] [--quiet]');
    return;
  }
  const url = args.rpc || process.env.CF_RPC_URL || lib.DEFAULT_RPC;
  const count = args.count === undefined ? Infinity : Number(args.count);
  const seed = args.seed === undefined ? Date.now() % 2 ** 31 : Number(args.seed);
  const rate = Number(args.rate || 3);
  if (!(count >= 0) || !Number.isFinite(seed) || !(rate > 0)) throw new Error('bad --count, --seed or --rate');

  const accounts = (await lib.rpc(url, 'eth_accounts')).map((a) => a.toLowerCase());
  if (accounts.length < 2) throw new Error(`${url} has ${accounts.length} unlocked accounts; need 2+`);
  const chainId = Number(await lib.rpc(url, 'eth_chainId'));
  const contracts = {};
  for (const name of ['TestNft721', 'TestMulti1155', 'TestToken20', 'TestTicketFactory', 'TestDao']) {
    contracts[name] = await lib.deploy(url, name, accounts[0]);
  }
  if (args['config-out']) writeConfig(args, contracts);
  const summary = {
    rpc: url,
    chain_id: chainId,
    seed,
    contracts: Object.fromEntries(Object.values(contracts).map((c) => [c.name, {
      address: c.address, block_number: c.blockNumber,
      standard: STANDARDS[c.name] || 'abi',
    }])),
  };
  if (args.out) fs.writeFileSync(args.out, JSON.stringify(summary, null, 2) + '\n');
  console.log(`demo: chain ${chainId}, seed ${seed}, ${accounts.length} accounts`);
  for (const [name, c] of Object.entries(summary.contracts)) console.log(`demo: ${name} at ${c.address}`);

  const demo = new Demo(url, accounts, contracts, prng(seed));
  demo.quiet = Boolean(args.quiet);
  let stopping = false;
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { stopping = true; });
  const roundSize = Math.max(1, Math.min(Math.ceil(rate), accounts.length));
  let sent = 0;
  while (sent < count && !stopping) {
    const started = Date.now();
    sent += await demo.round(Math.min(roundSize, count - sent));
    const wait = (roundSize / rate) * 1000 - (Date.now() - started);
    if (wait > 0 && sent < count) await lib.sleep(wait);
  }
  const nfts = [...demo.nftOwner].sort((a, b) => a[0] - b[0]);
  console.log(`demo: ${sent} transactions mined; ${nfts.length} ERC-721 tokens live`);
  if (args.out) {
    summary.transactions = sent;
    summary.nft_owners = Object.fromEntries(nfts.map(([id, owner]) => [id, owner]));
    fs.writeFileSync(args.out, JSON.stringify(summary, null, 2) + '\n');
  }
}

main().catch((err) => {
  console.error(`demo.js: ${err.message}`);
  process.exit(1);
});
