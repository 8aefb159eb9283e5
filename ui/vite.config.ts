/// <reference types="vitest/config" />
import { defineConfig } from 'vite';

// Only the environment is read here; this avoids pulling Node's types into the app's type check.
declare const process: { env: Record<string, string | undefined> };

// `npm run dev` proxies the API to a running `storyloom serve` (default address 127.0.0.1:8080).
const devApi = process.env.STORYLOOM_DEV_API ?? 'http://127.0.0.1:8080';

export default defineConfig({
  // Relative asset paths: the desktop shell serves dist/ from tauri://localhost/ and the HTTP
  // server serves it from "/".
  base: './',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    // The desktop webviews (WebKitGTK, WKWebView, WebView2) and current browsers.
    target: ['es2022', 'safari16', 'chrome110', 'edge110', 'firefox115'],
  },
  server: {
    proxy: {
      '/api': devApi,
      '/health': devApi,
    },
  },
  test: {
    environment: 'node',
    // Stylesheets keep their text (styles.test.ts reads them raw to check the custom properties).
    css: true,
    include: ['src/**/*.test.{ts,tsx}'],
  },
});
