/** `search QUERY [--kb] [--mode keyword|semantic|hybrid] [--limit]`. */
import { type Command, Option } from "commander";
import { ok } from "../../contract/client.js";
import { clientOf, globals, intArg } from "../context.js";
import { clip, note, printJson, println, table } from "../output.js";

/** Registers `search`. */
export function registerSearchCommand(program: Command): void {
  program
    .command("search")
    .description("search entries")
    .argument("<query>", "what to look for")
    .option("--kb <kb>", "only this knowledge base")
    .addOption(
      new Option("--mode <mode>", "how to match").choices(["keyword", "semantic", "hybrid"]),
    )
    .option("--limit <n>", "how many results", intArg(1, 100))
    .action(
      async (
        query: string,
        options: { kb?: string; mode?: "keyword" | "semantic" | "hybrid"; limit?: number },
        command: Command,
      ) => {
        const result = await ok(
          clientOf(command).http.api.search.$get({
            query: {
              q: query,
              kb: options.kb,
              mode: options.mode,
              limit: options.limit?.toString(),
            },
          }),
        );
        if (globals(command).json) {
          printJson(result);
          return;
        }
        if (result.results.length === 0) {
          println("no results");
          return;
        }
        println(
          table(
            ["score", "kb", "id", "title", "snippet"],
            result.results.map((hit) => [
              Number(hit.score.toPrecision(4)),
              hit.kb_name,
              hit.id,
              clip(hit.title, 40),
              clip(hit.snippet ?? hit.summary, 60),
            ]),
          ),
        );
        if (result.degraded) {
          note(`note: keyword matches only: ${result.degraded.message}`);
        } else if (result.semantic === false && result.mode !== "keyword") {
          note("note: the server has no semantic model (hash fallback): matches are lexical");
        }
      },
    );
}
