import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { ApiError, handleError } from "../../../src/errors.js";

/** An app whose one route throws `err`, answered by the one error handler. */
function throwing(err: unknown) {
  const app = new Hono();
  app.get("/", () => {
    throw err;
  });
  app.onError(handleError);
  return app;
}

describe("the one error handler", () => {
  it("answers D1's missing table (a request before migrations ran) with a retryable 503", async () => {
    const res = await throwing(new Error("D1_ERROR: no such table: entries: SQLITE_ERROR")).request(
      "/",
    );
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("1");
    expect(await res.json()).toMatchObject({ error: { code: "not_ready" } });
  });

  it("keeps other failures opaque 500s and client errors as thrown", async () => {
    const opaque = await throwing(new Error("SQLITE_BUSY: database is locked")).request("/");
    expect(opaque.status).toBe(500);
    expect(await opaque.json()).toEqual({
      error: { code: "internal_error", message: "internal error" },
    });
    const client = await throwing(new ApiError(409, "write_conflict", "try again")).request("/");
    expect(client.status).toBe(409);
    expect(client.headers.get("retry-after")).toBeNull();
  });
});
