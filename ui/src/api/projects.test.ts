import { afterEach, describe, expect, it, vi } from 'vitest';
import { createFetchTransport, setTransport } from '../transport';
import { createProject, deleteProject, projectsListPath, restoreProject, updateProject } from './projects';

describe('projectsListPath', () => {
  it('defaults to page 1, limit 20, no status', () => {
    expect(projectsListPath()).toBe('/api/v1/projects?page=1&limit=20');
  });

  it('adds the status unless it is "all"', () => {
    expect(projectsListPath({ page: 2, status: 'in_progress' })).toBe('/api/v1/projects?page=2&limit=20&status=in_progress');
    expect(projectsListPath({ status: 'all' })).toBe('/api/v1/projects?page=1&limit=20');
  });

  it('keeps page and limit in the range the server accepts', () => {
    expect(projectsListPath({ page: 0, limit: 500 })).toBe('/api/v1/projects?page=1&limit=100');
    expect(projectsListPath({ page: -3, limit: 0 })).toBe('/api/v1/projects?page=1&limit=1');
    expect(projectsListPath({ page: 2.7, limit: 10.2 })).toBe('/api/v1/projects?page=2&limit=10');
  });
});

describe('project calls', () => {
  afterEach(() => setTransport(undefined));

  function install() {
    const calls: { url: string; method?: string; body?: unknown }[] = [];
    const fetch = vi.fn(async (url: string, init?: RequestInit) => {
      calls.push({ url, method: init?.method, body: init?.body ? JSON.parse(init.body as string) : undefined });
      return new Response('{}', { status: 200 });
    });
    setTransport(createFetchTransport({ kind: 'browser', baseUrl: '', fetch }));
    return calls;
  }

  it('use the documented methods and paths', async () => {
    const calls = install();
    await createProject({ name: 'A', aspect_ratio: '1:1' });
    await updateProject('id/1', { name: 'B' });
    await deleteProject('id-2');
    await restoreProject('id-3');
    expect(calls).toEqual([
      { url: '/api/v1/projects', method: 'POST', body: { name: 'A', aspect_ratio: '1:1' } },
      { url: '/api/v1/projects/id%2F1', method: 'PATCH', body: { name: 'B' } },
      { url: '/api/v1/projects/id-2', method: 'DELETE', body: undefined },
      { url: '/api/v1/projects/id-3/restore', method: 'POST', body: undefined },
    ]);
  });
});
