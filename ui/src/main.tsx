import { QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { makeQueryClient } from './api/queryClient';
import { App } from './components/App';
import { tolerateStylesheetPreloadErrors } from './lib/preloadErrors';
import './styles.css';

tolerateStylesheetPreloadErrors(window);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={makeQueryClient()}>
      <App />
    </QueryClientProvider>
  </StrictMode>,
);
