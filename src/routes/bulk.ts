/** `POST /api/entries/batch`: many entries in one all-or-nothing request. */
import { bulk } from "../contract/bulk";
import { bodyHook, createRouter } from "./openapi-kit";

export const bulkRoutes = createRouter().openapi(
  bulk,
  // The envelope is checked here; the service checks each item on its own, so that its 400
  // (`invalid_entries`) names every invalid item with all of its reasons.
  async (c) => c.json(await c.var.batch.write(c.req.valid("json")), 200),
  bodyHook,
);
