/**
 * The bench corpus's vocabulary: common English and knowledge-base words, most frequent first,
 * drawn with Zipf-like weights so keyword queries match a realistic spread of entries.
 */
export const WORDS: readonly string[] = (
  "the of and to in is that for it as with was on be by this are or from at an which have not " +
  "but all were they one their has more can will if its about there when so been into other " +
  "some what time only new these may than then first any like also two them most use could " +
  "after system way many over data should work because each make through where much well " +
  "before must between under same last long used note entry design service search queue " +
  "worker model vector index write read batch embedding latency throughput request response " +
  "client server database table query result error retry backoff lease status event socket " +
  "update delete create version content hash text title summary body tag kb knowledge base " +
  "team project meeting decision review plan goal risk issue task release deploy build test " +
  "code module function interface type schema migration storage cache memory disk network " +
  "edge runtime worker durable object alarm binding config setting option default value " +
  "user account token access permission security audit log metric trace span profile " +
  "performance budget limit quota scale shard replica region cluster node process thread " +
  "core machine cloud local remote offline online sync async background foreground pipeline " +
  "stage step loop cycle window buffer stream chunk page row column field record document " +
  "section paragraph sentence word token language meaning similarity distance cosine rank " +
  "score fusion hybrid keyword semantic lexical dense sparse recall precision relevance " +
  "question answer idea concept topic theme pattern practice principle rule policy standard " +
  "guide manual reference example sample template draft outline agenda minutes action owner " +
  "deadline milestone roadmap quarter week day hour minute second morning evening history " +
  "future past present change improvement regression incident outage recovery backup restore " +
  "failure success warning notice alert monitor dashboard report chart graph table summary " +
  "research paper article book chapter author reader editor publisher library archive " +
  "python typescript rust sqlite cloudflare hono drizzle zod vitest wrangler miniflare " +
  "customer product feature request feedback survey interview persona journey market price " +
  "cost revenue growth churn retention funnel conversion campaign launch partner vendor " +
  "contract invoice payment budget forecast estimate assumption constraint tradeoff option " +
  "experiment hypothesis result analysis insight finding evidence source citation link"
)
  .split(/\s+/)
  .filter((word, index, all) => word.length > 0 && all.indexOf(word) === index);
