#!/usr/bin/env node
/** The command line entry: `bun run src/server.ts`, `npx flocker`, `node dist/src/server.js`. */
import { main } from './cli.ts'

await main()
