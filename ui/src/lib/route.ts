/** Hash routes: `#/projects` (the list) and `#/projects/<id>[/<tab>]` (the editor). */

export const EDITOR_TABS = ['script', 'storyboard', 'characters', 'assets'] as const;
export type EditorTab = (typeof EDITOR_TABS)[number];

export type Route = { name: 'projects' } | { name: 'project'; id: string; tab: EditorTab };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '').replace(/^\/+/, '').replace(/\/+$/, '');
  const parts = path.split('/').filter(Boolean);
  if (parts[0] === 'projects' && parts[1]) {
    let id: string;
    try {
      id = decodeURIComponent(parts[1]);
    } catch {
      return { name: 'projects' };
    }
    const tab = (EDITOR_TABS as readonly string[]).includes(parts[2] ?? '') ? (parts[2] as EditorTab) : 'script';
    return { name: 'project', id, tab };
  }
  return { name: 'projects' };
}

export function routeHash(route: Route): string {
  if (route.name === 'projects') return '#/projects';
  const base = `#/projects/${encodeURIComponent(route.id)}`;
  return route.tab === 'script' ? base : `${base}/${route.tab}`;
}
