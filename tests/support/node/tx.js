#!/usr/bin/env node
// Sends one contract call (or reads one with --call) using hand ABI encoding, for tests and
// shell use. Arguments follow the signature; arrays as JSON ('[1,2]').
//
//   node tests/support/node/tx.js --to 0xNFT --sig 'mint(address,uint256)' 0xOWNER 7
//   node tests/support/node/tx.js --to 0xNFT --sig 'transferFrom(address,address,uint256)' \
//        --from 0xOWNER 0xOWNER 0xOTHER 7
//   node tests/support/node/tx.js --call --to 0xNFT --sig 'ownerOf(uint256)' 7
//
// Sends from --from (default eth_accounts[0]), waits for the receipt and prints
// {"txHash","blockNumber","blockHash","status","logs"}; exits 1 when it reverted. --call prints
// the raw result word(s). --rpc defaults to $CF_RPC_URL or http://127.0.0.1:8545.
'use strict';

const lib = require('./lib');

async function main() {
  const args = lib.parseArgs(process.argv.slice(2), ['call', 'no-wait']);
  if (!args.to || !args.sig) throw new Error('--to ADDRESS and --sig SIGNATURE are required');
  const url = args.rpc || process.env.CF_RPC_URL || lib.DEFAULT_RPC;
  const values = args._.map((v) => (v.startsWith('[') ? JSON.parse(v) : v));
  const data = lib.encodeCall(args.sig, values);
  if (args.call) {
    console.log(await lib.rpc(url, 'eth_call', [{ to: args.to, data }, args.block || 'latest']));
    return;
  }
  const from = args.from || (await lib.rpc(url, 'eth_accounts'))[0];
  const hash = await lib.sendTransaction(url, { from, to: args.to, data });
  if (args['no-wait']) { console.log(JSON.stringify({ txHash: hash })); return; }
  const r = await lib.waitReceipt(url, hash);
  console.log(JSON.stringify({ txHash: hash, blockNumber: Number(r.blockNumber), blockHash: r.blockHash,
    status: r.status, logs: r.logs.map((l) => ({ address: l.address, topics: l.topics, data: l.data,
      logIndex: Number(l.logIndex) })) }));
  if (r.status !== '0x1') process.exit(1);
}

main().catch((err) => {
  console.error(`tx.js: ${err.message}`);
  process.exit(1);
});
