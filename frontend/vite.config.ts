/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The built app is served by Django: index.html at `/`, assets under
// /static/dashboard/ (Django's static files). In dev, Vite serves the app and
// proxies the backend routes to runserver on :8000.
const backend = 'http://127.0.0.1:8000';

export default defineConfig({
  base: '/static/dashboard/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Node 18-era browsers are fine; keep the default modern target.
  },
  server: {
    proxy: {
      '/api': { target: backend, changeOrigin: false },
      '/ws': { target: backend, ws: true, changeOrigin: false },
      '/accounts': { target: backend, changeOrigin: false },
      '/admin': { target: backend, changeOrigin: false },
    },
  },
  test: {
    environment: 'jsdom',
    globals: false,
    setupFiles: ['./src/test/setup.ts'],
    include: ['src/**/*.test.{ts,tsx}'],
    restoreMocks: true,
  },
});
