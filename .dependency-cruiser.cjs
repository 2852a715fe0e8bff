/**
 * The layering of src/, enforced by `npm run check` (dependency-cruiser). Each rule's name says
 * which boundary an import crossed.
 *
 * Worker (runs in workerd), from the top down; a layer imports only layers below it:
 *   entry          index.ts, app.ts: the composition root and the Worker's exports
 *   adapters       routes/, mcp/, middleware/, app-env.ts (what they get per request),
 *                  embed-worker/ (the Durable Object over embedding/)
 *   contract       contract/ (each route's method, path and request and response schemas, the
 *                  typed client over them: what routes serve and clients call)
 *   services       domain/ (entries, bulk writes, index control: what a route asks for)
 *   engines        embedding/ (the embedding work), search/
 *   ports          storage/ (D1), embedder/ (the providers), passages/ (splitting),
 *                  vectors/ (the VectorStore port: in-isolate index, Vectorize)
 *   base           shared/ (API types, messages), errors.ts, config.ts, model/ (the entry model)
 * Node side (never bundled into the Worker): cli/, import/, sync/, server/, node/.
 */
const layers = [
  { name: "entry", path: "^src/(index|app)\\.ts$" },
  { name: "adapters", path: "^src/((routes|mcp|middleware|embed-worker)/|app-env\\.ts$)" },
  { name: "contract", path: "^src/contract/" },
  { name: "services", path: "^src/domain/" },
  { name: "engines", path: "^src/(embedding|search)/" },
  { name: "ports", path: "^src/((storage|embedder|passages|vectors)/|select-embedder\\.ts$)" },
  { name: "base", path: "^src/(shared/|model/|errors\\.ts$|config\\.ts$)" },
];

/** One rule per layer: nothing in it imports a layer above it. */
const layerRules = layers.slice(1).map((layer, i) => ({
  name: `${layer.name}-imports-above`,
  comment: `${layer.name} must not import ${layers
    .slice(0, i + 1)
    .map((l) => l.name)
    .join(" / ")}: layers point down (see .dependency-cruiser.cjs)`,
  severity: "error",
  from: { path: layer.path },
  to: { path: layers.slice(0, i + 1).map((l) => l.path) },
}));

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: "worker-imports-node-side",
      comment:
        "code bundled into the Worker must not import the Node-only side (cli, import, server, node, sync)",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/(cli|import|sync|export|server|node)/" },
      to: { path: "^src/(cli|import|sync|export|server|node)/" },
    },
    {
      name: "no-cycles",
      comment: "modules must not import each other in a circle",
      severity: "error",
      from: { path: "^src/" },
      to: { circular: true },
    },
    {
      name: "no-orphans",
      comment: "a module nothing imports is dead code (or a missing entry point)",
      severity: "error",
      from: {
        orphan: true,
        path: "^src/",
        pathNot: ["\\.d\\.ts$", "^src/index\\.ts$", "^src/(server|node|cli)/main\\.ts$"],
      },
      to: {},
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default"],
    },
  },
};
