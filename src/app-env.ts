/** The Hono environment: bindings plus what the composition root puts on each request. */
import type { Settings } from "./config";
import type { BulkWriteService } from "./domain/bulk-write-service";
import type { EntriesService } from "./domain/entries-service";
import type { IndexService } from "./domain/index-service";
import type { ModelService } from "./domain/model-service";
import type { SearchService } from "./search/search-service";

export interface AppEnv {
  Bindings: Env;
  Variables: {
    settings: Settings;
    entries: EntriesService;
    batch: BulkWriteService;
    search: SearchService;
    index: IndexService;
    models: ModelService;
  };
}
