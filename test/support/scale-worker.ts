/**
 * The worker under test in the `scale` test project and `npm run bench -- --scale`: the real
 * worker (its fetch, cron and EmbedWorker), plus the fake Workers AI binding's entrypoint, which
 * their config binds as `AI` and `FAKE_AI`, and the fake Vectorize binding's, which the scale bench
 * binds as `VECTORIZE` and `FAKE_VECTORIZE`.
 */
export { default, EmbedWorker } from "../../src/index";
export { FakeAi } from "./fake-ai";
export { FakeVectorizeBinding } from "./fake-vectorize-binding";
