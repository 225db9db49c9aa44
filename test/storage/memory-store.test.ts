import { MemoryStore } from '../../src/storage/memory/memory-store.js';
import { storeContract } from './store-contract.js';

storeContract('memory', async () => {
  // The memory store keeps its data across stop and start: that is its restart.
  const store = new MemoryStore();
  return { store, cleanup: async () => {}, reopen: () => store };
});
