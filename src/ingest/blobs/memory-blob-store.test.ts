import { blobStoreContract } from './blob-store-contract.js';
import { MemoryBlobStore } from './memory-blob-store.js';

blobStoreContract('memory', async () => ({ store: new MemoryBlobStore(), cleanup: async () => {} }));
