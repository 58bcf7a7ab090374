// The API in a process of its own, for tests that measure its memory: `node tools/run-ts.js <this file> <database
// url>`. Sends {url} over IPC once it listens; then answers 'baseline' with {rss} (and restarts the peak from
// there) and 'peak' with {peak}: the highest RSS sampled every 20 ms since the baseline. Closes when the parent
// disconnects.
import { startApi } from './api-app.js';

const databaseUrl = process.argv[2];
if (!databaseUrl || !process.send) throw new Error('usage: run with a database URL and an IPC channel');
const send = (message: unknown) => process.send?.(message);
const { app, url } = await startApi(databaseUrl);
let peak = process.memoryUsage.rss();
setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20).unref();
process.on('message', (message) => {
  if (message === 'baseline') {
    peak = process.memoryUsage.rss();
    send({ rss: peak });
  } else if (message === 'peak') {
    send({ peak: Math.max(peak, process.memoryUsage.rss()) });
  }
});
process.once('disconnect', () => void app.close().then(() => process.exit(0)));
send({ url });
