import { withDirectD1 } from "../lib/d1-direct.js";
const state = process.argv[2]!;
const model = "pyrite-test-minilm|384|mean|norm";
const now = Date.now();
const queries: [string, unknown[]][] = [
  ["SELECT 1", []],
  ["SELECT count(*) AS n FROM entries WHERE 1 = 1", []],
  [`SELECT status, model = ?1 AS current, count(*) AS n, min(queued_at) AS oldest, coalesce(sum(lease_until <= ?2), 0) AS expired FROM embed_queue WHERE 1 = 1 GROUP BY status, current`, [model, now]],
  [`SELECT model = ?1 AS current, count(*) AS n, coalesce(sum(truncated), 0) AS truncated FROM entry_embeddings WHERE 1 = 1 GROUP BY current`, [model]],
  [`SELECT kb_name, entry_id, vector, embedded_at FROM entry_embeddings WHERE model = ?1 AND embedded_at >= ?2 ORDER BY embedded_at LIMIT 2000 OFFSET 0`, [model, now + 1e9]],
  [`SELECT min(due) AS due FROM (SELECT min(next_attempt_at) AS due FROM embed_queue WHERE status = 'pending' UNION ALL SELECT min(lease_until) AS due FROM embed_queue WHERE status = 'processing')`, []],
  ...(process.env.EXTRA ? JSON.parse(process.env.EXTRA) as [string, unknown[]][] : []),
];
await withDirectD1(state, async ({ db, fetch }) => {
  if (process.env.INDEXES) {
    for (const ddl of process.env.INDEXES.split(";")) { const t = performance.now(); await db.prepare(ddl).run(); console.log("ran", ddl, (performance.now() - t).toFixed(0), "ms"); }
  }
  for (const [sql, params] of queries) {
    const r = await fetch("/time", { method: "POST", body: new TextEncoder().encode(JSON.stringify({ sql, params, runs: 7 })) });
    const { plan, ms } = await r.json() as { plan: string[]; ms: number[] };
    ms.sort((a, b) => a - b);
    console.log(String(ms[3]).padStart(5), "ms", JSON.stringify(ms), "|", sql.slice(0, 80).replace(/\s+/g, " "), "|", plan.join("; "));
  }
});
