// Entry of a client thread (`--client-threads`): the sources are TypeScript, run through tsx as the CLI does.
import { register } from 'tsx/esm/api';

register();
await import('./request-worker.ts');
