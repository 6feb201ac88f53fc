#!/usr/bin/env node
// Compiles a test contract from tests/support/contracts and deploys it over JSON-RPC.
//
//   node tests/support/node/deploy.js --name TestNft721 [--rpc URL] [--from ADDRESS]
//   node tests/support/node/deploy.js --name TestNft721 --name TestToken20   (several)
//   node tests/support/node/deploy.js --name TestNft721 --compile-only
//
// Prints JSON: {"name","address","txHash","blockNumber","deployer","abi","methodIdentifiers",
// "eventTopics"}; with several --name, an object keyed by name. The sender must be unlocked
// (Anvil's accounts are); default eth_accounts[0]. --rpc defaults to $CF_RPC_URL or
// http://127.0.0.1:8545.
'use strict';

const lib = require('./lib');

async function main() {
  const args = lib.parseArgs(process.argv.slice(2), ['compile-only', 'help']);
  if (args.help) {
    console.log('usage: deploy.js --name CONTRACT [--name ...] [--rpc URL] [--from ADDR] [--compile-only]');
    return;
  }
  const names = [].concat(args.name || args._[0] || []);
  if (names.length === 0) throw new Error('--name CONTRACT is required (e.g. TestNft721)');
  const url = args.rpc || process.env.CF_RPC_URL || lib.DEFAULT_RPC;
  const results = {};
  for (const name of names) {
    if (args['compile-only']) {
      const { abi, bytecode, methodIdentifiers, eventTopics } = lib.compile(name);
      results[name] = { name, abi, bytecode, methodIdentifiers, eventTopics };
    } else {
      results[name] = await lib.deploy(url, name, args.from);
    }
  }
  const out = names.length === 1 ? results[names[0]] : results;
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
}

main().catch((err) => {
  console.error(`deploy.js: ${err.message}`);
  process.exit(1);
});
