#!/usr/bin/env node
// The `pyrite` CLI. Runs the TypeScript sources through tsx, so `npx pyrite` works right after
// `npm install` with no build step.
import { register } from "tsx/esm/api";

register();
await import("../src/cli/main.ts");
