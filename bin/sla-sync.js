#!/usr/bin/env node
// The sla-sync command. Runs the TypeScript sources directly through tsx, so a checkout needs no
// build step: `npm ci` then `npx sla-sync --help`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli.ts');
process.exitCode = await main(process.argv);
