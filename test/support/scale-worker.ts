/**
 * The worker under test in the `scale` test project and `npm run bench -- --scale`: the real
 * worker (its fetch, cron and EmbedWorker), plus the fake Workers AI binding's entrypoint, which
 * their config binds as `AI` and `FAKE_AI`.
 */
export { default, EmbedWorker } from "../../src/index";
export { FakeAi } from "./fake-ai";
