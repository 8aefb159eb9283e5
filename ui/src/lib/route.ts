/**
 * Hash routes: `#/projects` (the list), `#/credits` (balance, usage, transactions),
 * `#/references` (reference-video analysis: docs/SUMMARIZE.md), `#/create` (the writing tools)
 * and `#/creations` (what they made: history and trash; `#/create?tool=<type>` opens a tool,
 * `#/create?tool=video&task=<id>` follows a video task), `#/publish` (publishing history, accounts),
 * `#/projects/<id>[/<tab>]` (the editor), `#/team` and `#/invite/<token>` (workspaces),
 * `#/oauth/done?…` (an OAuth sign-in's return, api/oauth.ts),
 * `#/settings/providers` (Providers & Models), `#/models` and `#/usage` (the team server's model
 * router: its catalog and playground, one's usage), `#/pay/sandbox/<order id>` (the sandbox
 * gateway's payment page: an order's `payment_url`), `#/admin/coupons|activities|orders|statistics|releases`
 * (operations and the desktop builds, instance admins). A query after the path (`#/sign-up?ref=CODE`) is read by
 * `hashQuery`, not by the route. `review` is a
 * view of the Runs tab (the review queue of the latest run) with a route of its own.
 */

export const EDITOR_TABS = ['script', 'storyboard', 'characters', 'assets', 'runs'] as const;
export type EditorTabName = (typeof EDITOR_TABS)[number];
export type EditorTab = EditorTabName | 'review';

const ROUTE_TABS: readonly string[] = [...EDITOR_TABS, 'review'];

/** Pages without parameters: the account pages of accounts mode (`storyloom serve --auth accounts`). */
export const SIMPLE_ROUTES = {
  'sign-in': '#/sign-in',
  'sign-up': '#/sign-up',
  /** Where an OAuth sign-in (or link) comes back with its tokens (api/oauth.ts); never stays. */
  'oauth-done': '#/oauth/done',
  account: '#/account',
  'api-keys': '#/account/api-keys',
  'admin-users': '#/admin/users',
  credits: '#/credits',
  /** Reference videos: analyse videos (summary, beats, mind map), their history, batches. */
  references: '#/references',
  /** The creator tools: pick a writing tool, fill its form, watch the text stream in. */
  create: '#/create',
  /** What the creator tools made: filter, open, edit, trash and restore. */
  creations: '#/creations',
  /** Publishing: the jobs with each platform's result, and the bound accounts. */
  publish: '#/publish',
  /** The current workspace's members and invitations (accounts mode). */
  team: '#/team',
  /** The desktop's team-server connection (sign in, check, sign out). */
  connection: '#/connection',
  /** Providers & Models: the AI registry, for whoever administers the instance. */
  providers: '#/settings/providers',
  /** The model router's catalog and a playground (accounts mode). */
  models: '#/models',
  /** One's model-router usage, the leaderboard and one's recent requests (accounts mode). */
  usage: '#/usage',
  /** Operations, for instance admins (accounts mode): one page, a tab per route. */
  'admin-coupons': '#/admin/coupons',
  'admin-activities': '#/admin/activities',
  'admin-orders': '#/admin/orders',
  'admin-statistics': '#/admin/statistics',
  /** The desktop builds the server offers its desktops (upload, list, withdraw). */
  'admin-releases': '#/admin/releases',
} as const;
export type SimpleRouteName = keyof typeof SIMPLE_ROUTES;

/** The admin's operations tabs, in their order. */
export const ADMIN_OPS_ROUTES = ['admin-coupons', 'admin-activities', 'admin-orders', 'admin-statistics', 'admin-releases'] as const satisfies readonly SimpleRouteName[];
export type AdminOpsRoute = (typeof ADMIN_OPS_ROUTES)[number];

export function isAdminOpsRoute(name: string): name is AdminOpsRoute {
  return (ADMIN_OPS_ROUTES as readonly string[]).includes(name);
}

export type Route =
  | { name: 'projects' }
  | { name: 'project'; id: string; tab: EditorTab }
  /** An invitation link, `#/invite/<token>`. */
  | { name: 'invite'; token: string }
  /** The sandbox gateway's page for one order, `#/pay/sandbox/<order id>` (no money moves). */
  | { name: 'pay-sandbox'; orderId: string }
  | { name: SimpleRouteName };

/** The tab of the tab bar a route shows (`review` is part of Runs). */
export function tabOf(tab: EditorTab): EditorTabName {
  return tab === 'review' ? 'runs' : tab;
}

/** The query of a hash route (`#/sign-up?ref=ABC123` → `ref=ABC123`); the route itself ignores it. */
export function hashQuery(hash: string): URLSearchParams {
  const at = hash.indexOf('?');
  return new URLSearchParams(at < 0 ? '' : hash.slice(at + 1));
}

/** The referral code of a sign-up link (`#/sign-up?ref=CODE`), or "". */
export function referralFromHash(hash: string): string {
  return (hashQuery(hash).get('ref') ?? '').trim();
}

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '').replace(/\?.*$/, '').replace(/^\/+/, '').replace(/\/+$/, '');
  const parts = path.split('/').filter(Boolean);
  const simple = (Object.keys(SIMPLE_ROUTES) as SimpleRouteName[]).find((n) => SIMPLE_ROUTES[n] === `#/${parts.join('/')}`);
  if (simple) return { name: simple };
  if (parts[0] === 'invite' && parts[1] && parts.length === 2) {
    try {
      return { name: 'invite', token: decodeURIComponent(parts[1]) };
    } catch {
      return { name: 'projects' };
    }
  }
  if (parts[0] === 'pay' && parts[1] === 'sandbox' && parts[2] && parts.length === 3) {
    try {
      return { name: 'pay-sandbox', orderId: decodeURIComponent(parts[2]) };
    } catch {
      return { name: 'projects' };
    }
  }
  if (parts[0] === 'projects' && parts[1]) {
    let id: string;
    try {
      id = decodeURIComponent(parts[1]);
    } catch {
      return { name: 'projects' };
    }
    const tab = ROUTE_TABS.includes(parts[2] ?? '') ? (parts[2] as EditorTab) : 'script';
    return { name: 'project', id, tab };
  }
  return { name: 'projects' };
}

export function routeHash(route: Route): string {
  if (route.name === 'projects') return '#/projects';
  if (route.name === 'invite') return `#/invite/${encodeURIComponent(route.token)}`;
  if (route.name === 'pay-sandbox') return `#/pay/sandbox/${encodeURIComponent(route.orderId)}`;
  if (route.name !== 'project') return SIMPLE_ROUTES[route.name];
  const base = `#/projects/${encodeURIComponent(route.id)}`;
  return route.tab === 'script' ? base : `${base}/${route.tab}`;
}
