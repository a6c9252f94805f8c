#!/usr/bin/env node
// npm bin for pelt: registers tsx's ESM loader in this process, then runs the TypeScript entry point.
// In-process (no child node): stdio, signals and the exit code stay this process's own, and tsx
// resolves from pelt's own node_modules whatever the current directory is.
import { register } from 'tsx/esm/api';

register();
const { main } = await import(new URL('../src/cli/main.ts', import.meta.url).href);
process.exitCode = await main(process.argv.slice(2));
