import { defineConfig } from 'vite';

/**
 * The web app: Preact + uPlot, built into dist/web, which the server serves at /. `npm run dev:web` runs
 * Vite's dev server with the API proxied to a sensorhub on :8086 (override with SENSORHUB_URL).
 */
const target = process.env.SENSORHUB_URL ?? 'http://127.0.0.1:8086';

export default defineConfig({
  root: 'web',
  build: { outDir: '../dist/web', emptyOutDir: true, target: 'es2022', sourcemap: true },
  server: {
    proxy: {
      '/api': { target, ws: true },
      '/query': target,
      '/write': target,
    },
  },
});
