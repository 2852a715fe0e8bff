/**
 * The load test of issue 7, against a real local server over loopback: 20 concurrent writers ×
 * 250 creates/updates/deletes while the worker drains and 5 WebSocket clients listen. The same
 * scenario runs in `npm run bench`, which reports its throughput and latency.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runLoad } from "../../../bench/scenarios/load.js";
import { removeDir, startServer, type TestServer } from "../../support/server.js";

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
}, 120_000);

afterAll(async () => {
  await server.stop();
  await removeDir(server.stateDir);
});

describe("load", () => {
  it("20 writers × 250 ops with 5 listeners: no 5xx, nothing lost, every event delivered", async () => {
    const result = await runLoad({
      baseUrl: server.url,
      writers: 20,
      opsPerWriter: 250,
      listeners: 5,
      bodyWords: 60,
      seed: 7,
      drainTimeoutMs: 120_000,
    });
    expect(result.problems).toEqual([]);
    expect(result.checks).toMatchObject({
      serverErrors: 0,
      transportErrors: 0,
      lostWrites: 0,
      queueEmpty: true,
      countsReconcile: true,
      missingEvents: 0,
    });
    expect(result.ops).toBe(5000);
    expect(result.ok).toBe(true);
  }, 240_000);
});
