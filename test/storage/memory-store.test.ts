import { MemoryStore } from '../../src/storage/memory/memory-store.js';
import { storeContract } from './store-contract.js';

storeContract('memory', async () => ({ store: new MemoryStore(), cleanup: async () => {} }));
