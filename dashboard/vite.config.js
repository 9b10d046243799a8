import { defineConfig } from 'vite';

// Relative asset paths, so the built page can be served from any folder.
export default defineConfig({
  base: './',
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 4000 }
});
