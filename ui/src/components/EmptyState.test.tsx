import { QueryClientProvider } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { makeQueryClient } from '../api/queryClient';
import { EmptyState } from './EmptyState';

/** EmptyState lists the samples through the query cache. */
const withQueries = (node: ReactNode) => <QueryClientProvider client={makeQueryClient()}>{node}</QueryClientProvider>;

const noop = () => {};

describe('the empty projects list', () => {
  it('invites an editor to create the first project', () => {
    const html = renderToStaticMarkup(
      withQueries(<EmptyState filter="all" onCreate={noop} onShowAll={noop} onSampleOpened={noop} onError={noop} />),
    );
    expect(html).toContain('data-testid="empty-new-project"');
    expect(html).toContain('data-variant="first-run"');
  });

  it('offers a reviewer or viewer nothing to create', () => {
    const html = renderToStaticMarkup(
      withQueries(<EmptyState filter="all" readOnly onCreate={noop} onShowAll={noop} onSampleOpened={noop} onError={noop} />),
    );
    expect(html).not.toContain('empty-new-project');
    expect(html).not.toContain('empty-samples');
    expect(html).toContain('data-variant="read-only"');
  });
});
