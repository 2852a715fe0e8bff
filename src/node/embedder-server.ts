/**
 * A standalone loopback HTTP server around the embedder handler, for `wrangler dev` (which
 * reaches it by URL). `tsx src/node/embedder-server.ts [--port 8788] [--host 127.0.0.1]`;
 * the model comes from the environment exactly as for `npm start` (see use-embedder.ts).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import type { Embedder } from "../embedder/types.js";
import { createEmbedderHandler, type ModelLoader } from "./embedder-handler.js";
import { nodeModelLoader } from "./model-loader.js";
import { useEmbedder } from "./use-embedder.js";

/** The port `wrangler dev` expects the embedder on. */
const DEFAULT_EMBEDDER_PORT = 8788;

/** A running embedder server. */
export interface EmbedderServer {
  url: string;
  close(): Promise<void>;
}

async function readBody(request: IncomingMessage): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of request)
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks);
}

async function respond(response: Response, out: ServerResponse): Promise<void> {
  out.writeHead(response.status, Object.fromEntries(response.headers));
  out.end(Buffer.from(await response.arrayBuffer()));
}

/** Serves `embedder` over HTTP on `host:port` (port 0 picks a free one). */
export async function startEmbedderServer(options: {
  embedder: Embedder;
  /** Loads other models on request (a migration's); without it only `embedder` is served. */
  load?: ModelLoader;
  port?: number;
  host?: string;
}): Promise<EmbedderServer> {
  const handler = createEmbedderHandler(options.embedder, options.load);
  const host = options.host ?? "127.0.0.1";
  const server = createServer((request, out) => {
    readBody(request)
      .then((body) =>
        handler({
          method: request.method ?? "GET",
          url: `http://${host}${request.url ?? "/"}`,
          // A copy: Buffer.concat may hand out a slice of a shared pool, whose .buffer is larger.
          arrayBuffer: async () => new Uint8Array(body).buffer,
        }),
      )
      .then((response) => respond(response, out))
      .catch((error: unknown) => {
        out.writeHead(500, { "content-type": "application/json" });
        out.end(JSON.stringify({ error: { code: "embed_failed", message: String(error) } }));
      });
  });
  await new Promise<void>((ready, fail) => {
    server.once("error", fail);
    server.listen(options.port ?? DEFAULT_EMBEDDER_PORT, host, () => ready());
  });
  const address: AddressInfo | string | null = server.address();
  if (address === null || typeof address === "string")
    throw new Error("embedder server has no TCP address");
  const { port } = address;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((done, fail) => server.close((error) => (error ? fail(error) : done()))),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { port: { type: "string" }, host: { type: "string", default: "127.0.0.1" } },
  });
  const port = values.port === undefined ? DEFAULT_EMBEDDER_PORT : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`bad --port ${values.port}`);
  const log = (message: string) => console.error(message);
  const resolved = await useEmbedder(process.env, log);
  const server = await startEmbedderServer({
    embedder: resolved.embedder,
    load: nodeModelLoader(process.env, log),
    port,
    host: values.host,
  });
  console.error(
    `embedder (${resolved.info.provider}: ${resolved.info.model.id}) listening on ${server.url}`,
  );
  const stop = () => {
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(entry).href) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
