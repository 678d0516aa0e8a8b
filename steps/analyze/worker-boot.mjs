// Worker threads do not inherit tsx from the main thread's register(): register it here, then load the
// TypeScript worker body named by the parent.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
