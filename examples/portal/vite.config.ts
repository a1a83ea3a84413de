import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * The portal's build: a static bundle with no BFF address baked in (it reads /config.json at
 * start-up), so one build runs against every environment. `npm run example` builds and serves it.
 */
export default defineConfig({
  plugins: [react()],
  build: { sourcemap: true },
});
