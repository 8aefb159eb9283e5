/**
 * The UI's reads, as TanStack Query hooks: one key factory per API area and a hook per read.
 * Query functions call the `api/*.ts` clients with the query's `signal`, so a read that is no
 * longer wanted (unmounted screen, changed key) is aborted through the transport as before.
 * After a change, screens invalidate the area's key (`queryClient.invalidateQueries({ queryKey:
 * keys.projects.all })`) instead of re-reading by hand.
 */
import { keepPreviousData, queryOptions, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { getMe, listApiKeys, listUsers, type UsersQuery } from './accounts';
import { listOAuthIdentities, listOAuthProviders } from './oauth';
import { getAsset, listAssets, type AssetQuery } from './assets';
import { listCharacters, listVoices, matchVoice } from './characters';
import { estimateRun, getBalance, getDashboard, listHolds, listTransactions, type TransactionQuery } from './credits';
import { estimateExport, fetchExportFile, listExportHistory, type ExportHistoryQuery } from './export';
import { getScript } from './script';
import { getStoryboard } from './storyboard';
import { getHealth, getProject, listProjects, type ListQuery } from './projects';
import { listSamples } from './samples';
import { isRedrawing } from '../lib/review';
import { requestBlob } from '../transport';
import { listVersions } from './versions';
import { listInvitations, listMembers, previewInvitation } from './workspaces';
import { getLeaderboard, getMyUsage, getRouterRequest, listRouterModels, listRouterRequests, type Period } from './router';
import type { OrderListQuery } from './payments';
import type { ShareListQuery } from './shares';
import type { HistoryQuery } from './summarize';
import type { CreationsQuery } from './create';
import type { ActivitiesQuery, AdminOrdersQuery, CouponsQuery, PageQuery, StatsQuery } from './operations';
import type { CouponClaimStatus, ExportRequest, HoldStatus, OrderKind, ReviewQueue, Run, StepStatus, WorkflowGraph } from './types';
import { findLatestRun, getReviewQueue, getTemplate, getTemplateVersion, listTemplates } from './workflows';

export const keys = {
  health: ['health'] as const,
  samples: ['samples'] as const,
  projects: {
    all: ['projects'] as const,
    lists: ['projects', 'list'] as const,
    list: (q: ListQuery) => ['projects', 'list', q] as const,
    one: (id: string) => ['projects', 'one', id] as const,
  },
  versions: (projectId: string) => ['versions', projectId] as const,
  storyboard: (projectId: string, versionId: string) => ['storyboard', projectId, versionId] as const,
  script: (projectId: string, versionId: string) => ['script', projectId, versionId] as const,
  /** Workflow templates and runs. */
  workflows: {
    templates: ['workflows', 'templates'] as const,
    graph: (templateId: string, versionId: string) => ['workflows', 'templates', templateId, 'graph', versionId] as const,
    latestRun: (projectId: string, versionId: string) => ['workflows', 'latest-run', projectId, versionId] as const,
    /** A review node's queue; `nodeStatus` is in the key so a change of the node's status re-reads it. */
    review: (nodeRunId: string, nodeStatus: StepStatus) => ['workflows', 'review', nodeRunId, nodeStatus] as const,
  },
  /** Files read as blobs through the transport (not under `assets`: an asset list's change does not change them). */
  files: {
    thumbnail: (assetId: string) => ['files', 'thumbnail', assetId] as const,
    export: (path: string) => ['files', 'export', path] as const,
  },
  characters: (projectId: string) => ['characters', projectId] as const,
  voices: (language: string) => ['voices', language] as const,
  voiceMatch: (voice: string, language: string) => ['voices', 'match', voice, language] as const,
  assets: {
    all: ['assets'] as const,
    lists: ['assets', 'list'] as const,
    list: (q: AssetQuery) => ['assets', 'list', q] as const,
    one: (id: string) => ['assets', 'one', id] as const,
  },
  exports: {
    all: ['exports'] as const,
    history: (q: ExportHistoryQuery) => ['exports', 'history', q] as const,
    estimate: (key: string) => ['exports', 'estimate', key] as const,
  },
  /** Share links of the team server (docs/API-SHARES.md; hooks in api/shares.ts). */
  shares: {
    all: ['shares'] as const,
    lists: ['shares', 'list'] as const,
    list: (q: ShareListQuery) => ['shares', 'list', q] as const,
    one: (id: string) => ['shares', 'one', id] as const,
  },
  /** Reference-video analysis: the history and the batches (docs/SUMMARIZE.md; hooks in api/summarize.ts). */
  summaries: {
    all: ['summaries'] as const,
    lists: ['summaries', 'list'] as const,
    list: (q: HistoryQuery) => ['summaries', 'list', q] as const,
    one: (id: string) => ['summaries', 'one', id] as const,
    batches: ['summaries', 'batches'] as const,
    batch: (jobId: string) => ['summaries', 'batch', jobId] as const,
  },
  /** The creator tools: the writing tools (priced per model) and the creations (hooks in api/create.ts). */
  creations: {
    all: ['creations'] as const,
    lists: ['creations', 'list'] as const,
    list: (q: CreationsQuery) => ['creations', 'list', q] as const,
    one: (id: string) => ['creations', 'one', id] as const,
    tools: (modelId: string) => ['creations', 'tools', modelId] as const,
    /** A video task (`GET /video/{task_id}/status`), polled while it runs. */
    videoTask: (taskId: string) => ['creations', 'video-task', taskId] as const,
  },
  /** Publishing: the platforms with this workspace's bound accounts, and the jobs (hooks in api/publish.ts). */
  publish: {
    all: ['publish'] as const,
    platforms: ['publish', 'platforms'] as const,
    histories: ['publish', 'history'] as const,
    history: (q: { page: number; limit: number }) => ['publish', 'history', q] as const,
    one: (id: string) => ['publish', 'one', id] as const,
  },
  credits: {
    all: ['credits'] as const,
    dashboard: (days: number) => ['credits', 'dashboard', days] as const,
    balance: ['credits', 'balance'] as const,
    holds: (status: HoldStatus | undefined) => ['credits', 'holds', status ?? 'all'] as const,
    transactions: (q: TransactionQuery) => ['credits', 'transactions', q] as const,
    runEstimate: (projectId: string, templateId: string) => ['credits', 'run-estimate', projectId, templateId] as const,
  },
  account: {
    me: ['account', 'me'] as const,
    apiKeys: ['account', 'api-keys'] as const,
    users: (q: UsersQuery) => ['account', 'users', q] as const,
    usersAll: ['account', 'users'] as const,
    /** OAuth: the providers the instance offers, the ones linked to the account (api/oauth.ts). */
    oauthProviders: ['account', 'oauth', 'providers'] as const,
    oauthIdentities: ['account', 'oauth', 'identities'] as const,
  },
  workspaces: {
    list: (userId: string) => ['workspaces', userId] as const,
    members: (id: string) => ['workspace', id, 'members'] as const,
    invitations: (id: string) => ['workspace', id, 'invitations'] as const,
    invitation: (token: string) => ['invitation', token] as const,
  },
  /** The model router: its catalog, one's requests and the usage statistics. */
  router: {
    all: ['router'] as const,
    models: ['router', 'models'] as const,
    request: (id: string) => ['router', 'request', id] as const,
    requests: (limit: number) => ['router', 'requests', limit] as const,
    usage: (period: Period) => ['router', 'usage', period] as const,
    leaderboard: (period: Period, limit: number) => ['router', 'leaderboard', period, limit] as const,
  },
  /** The AI registry (providers, models, defaults). */
  providers: {
    all: ['providers'] as const,
  },
  /** Payments: the gateways, the plans, the orders (docs/API-PAYMENTS.md; hooks in api/payments.ts). */
  payments: {
    all: ['payments'] as const,
    gateways: ['payments', 'gateways'] as const,
    plans: ['payments', 'plans'] as const,
    orders: ['payments', 'orders'] as const,
    orderList: (kind: OrderKind, q: OrderListQuery) => ['payments', 'orders', kind, q] as const,
    order: (id: string) => ['payments', 'order', id] as const,
  },
  /** The desktop's link to its team server: the balance there, its gateways, an order (api/remotePayments.ts); its shares (api/remoteShares.ts). */
  remote: {
    all: ['remote'] as const,
    credits: ['remote', 'credits'] as const,
    gateways: ['remote', 'gateways'] as const,
    order: (id: string) => ['remote', 'order', id] as const,
    /** This desktop's queued shares, every project's, newest first (hooks in api/remoteShares.ts). */
    shares: ['remote', 'shares'] as const,
    /** A team server's sign-in providers, by its address (api/remote.ts). */
    signInProviders: (serverUrl: string) => ['remote', 'sign-in-providers', serverUrl] as const,
  },
  /** Project sync on the desktop: the linked projects, one project's status, conflicts and review decisions (hooks in api/sync.ts). */
  sync: {
    all: ['sync'] as const,
    links: ['sync', 'links'] as const,
    project: (projectId: string) => ['sync', 'project', projectId] as const,
    conflictsAll: (projectId: string) => ['sync', 'conflicts', projectId] as const,
    conflicts: (projectId: string, count: number) => ['sync', 'conflicts', projectId, count] as const,
    eventsAll: (projectId: string) => ['sync', 'events', projectId] as const,
    events: (projectId: string, lastSyncedAt: string | null) => ['sync', 'events', projectId, lastSyncedAt] as const,
  },
  /** Operations: coupons, the wallet, referrals, activities, the admin's orders and statistics (hooks in api/operations.ts). */
  operations: {
    all: ['operations'] as const,
    myCouponsAll: ['operations', 'my-coupons'] as const,
    myCoupons: (status: CouponClaimStatus | undefined) => ['operations', 'my-coupons', status ?? 'all'] as const,
    couponsAll: ['operations', 'coupons'] as const,
    coupons: (q: CouponsQuery) => ['operations', 'coupons', q] as const,
    referralsAll: ['operations', 'referrals'] as const,
    referrals: (q: PageQuery) => ['operations', 'referrals', q] as const,
    activitiesAll: ['operations', 'activities'] as const,
    activities: (q: ActivitiesQuery) => ['operations', 'activities', q] as const,
    adminOrdersAll: ['operations', 'admin-orders'] as const,
    adminOrders: (q: AdminOrdersQuery) => ['operations', 'admin-orders', q] as const,
    statistics: (q: StatsQuery) => ['operations', 'statistics', q] as const,
    /** The desktop builds the server offers (api/releases.ts). */
    releasesAll: ['operations', 'releases'] as const,
    releases: (q: PageQuery) => ['operations', 'releases', q] as const,
  },
};

/* ---------- projects ---------- */

export const useHealth = (refetchInterval: number) =>
  useQuery({ queryKey: keys.health, queryFn: ({ signal }) => getHealth(signal), refetchInterval });

export const useSamples = () => useQuery({ queryKey: keys.samples, queryFn: ({ signal }) => listSamples(signal) });

export const useProjects = (q: ListQuery) =>
  useQuery({ queryKey: keys.projects.list(q), queryFn: ({ signal }) => listProjects(q, signal), placeholderData: keepPreviousData });

export const useProject = (id: string) =>
  useQuery({ queryKey: keys.projects.one(id), queryFn: ({ signal }) => getProject(id, signal) });

export const useVersions = (projectId: string) =>
  useQuery({ queryKey: keys.versions(projectId), queryFn: ({ signal }) => listVersions(projectId, signal) });

/* ---------- editor ---------- */

export const useCharacters = (projectId: string) =>
  useQuery({ queryKey: keys.characters(projectId), queryFn: ({ signal }) => listCharacters(projectId, {}, signal) });

export const useVoices = (language: string) =>
  useQuery({ queryKey: keys.voices(language), queryFn: ({ signal }) => listVoices(language, signal), placeholderData: keepPreviousData });

export const useVoiceMatch = (voice: string, language: string) =>
  useQuery({ queryKey: keys.voiceMatch(voice, language), queryFn: ({ signal }) => matchVoice(voice, language, signal), placeholderData: keepPreviousData });

export const useAssets = (q: AssetQuery) =>
  useQuery({ queryKey: keys.assets.list(q), queryFn: ({ signal }) => listAssets(q, signal), placeholderData: keepPreviousData });

/** One asset; assets are immutable once made, so it is read once per page load. */
export const useAsset = (id: string | null) =>
  useQuery({ queryKey: keys.assets.one(id ?? ''), queryFn: ({ signal }) => getAsset(id!, signal), enabled: id !== null, staleTime: Infinity });

export const useExportHistory = (q: ExportHistoryQuery) =>
  useQuery({ queryKey: keys.exports.history(q), queryFn: ({ signal }) => listExportHistory(q, signal), placeholderData: keepPreviousData });

/** The storyboard as saved (read-only uses: the export player's shot list). */
export const useStoryboard = (projectId: string, versionId: string) =>
  useQuery({ queryKey: keys.storyboard(projectId, versionId), queryFn: ({ signal }) => getStoryboard(projectId, versionId, signal) });

/** The export's estimate for a request body; `key` identifies the body (`requestKey`). */
export const useExportEstimateQuery = (body: ExportRequest, key: string) =>
  useQuery({
    queryKey: keys.exports.estimate(key),
    queryFn: ({ signal }) => estimateExport(body, signal),
    placeholderData: keepPreviousData,
    // An estimate is only asked for while the dialog is open; a later opening asks again.
    gcTime: 0,
  });

/**
 * The version's script as saved. Read afresh each time the script tab opens (`gcTime: 0`) and
 * never re-read behind the editor's back (`staleTime: Infinity`): the text on screen is the
 * user's, and the tab re-reads only when asked (after an upload, "Try again").
 */
export const useScriptDoc = (projectId: string, versionId: string) =>
  useQuery({
    queryKey: keys.script(projectId, versionId),
    queryFn: ({ signal }) => getScript(projectId, versionId, signal),
    staleTime: Infinity,
    gcTime: 0,
  });

/* ---------- files ---------- */

/** An asset's small stored thumbnail, or the image itself where the server has none to give. */
export async function readThumbnail(assetId: string, signal?: AbortSignal): Promise<Blob> {
  const path = `/api/v1/assets/${encodeURIComponent(assetId)}`;
  try {
    return await requestBlob(`${path}/thumbnail`, signal);
  } catch (e) {
    if (signal?.aborted) throw e;
    return requestBlob(`${path}/download`, signal);
  }
}

/** A keyframe's thumbnail (assets never change, so it is read once per page load). */
export const useThumbnailBlob = (assetId: string | null | undefined) =>
  useQuery({
    queryKey: keys.files.thumbnail(assetId ?? ''),
    queryFn: ({ signal }) => readThumbnail(assetId!, signal),
    enabled: !!assetId,
    staleTime: Infinity,
  });

/** An export's file (`video_url`); a video is large, so it is not kept once nothing shows it. */
export const useExportFileBlob = (path: string | null | undefined) =>
  useQuery({
    queryKey: keys.files.export(path ?? ''),
    queryFn: ({ signal }) => fetchExportFile(path!, signal),
    enabled: !!path,
    staleTime: Infinity,
    gcTime: 0,
  });

/* ---------- workflows ---------- */

/** The server's workflow templates (the run tab's picker keeps the built-ins when this fails). */
export const useTemplates = () =>
  useQuery({ queryKey: keys.workflows.templates, queryFn: ({ signal }) => listTemplates(signal), staleTime: 60_000 });

/**
 * The graph of a template's exact version (the template's current version when that one cannot be
 * read), or null when neither can: the run tab then lays out the run's steps alone. A template
 * version never changes, so it is read once.
 */
export async function readTemplateGraph(templateId: string, versionId: string, signal?: AbortSignal): Promise<WorkflowGraph | null> {
  try {
    return (await getTemplateVersion(templateId, versionId, signal)).graph;
  } catch (e) {
    if (signal?.aborted) throw e;
  }
  try {
    return (await getTemplate(templateId, signal)).current_version.graph;
  } catch (e) {
    if (signal?.aborted) throw e;
    return null;
  }
}

export const useTemplateGraph = (templateId: string | null, versionId: string | null) =>
  useQuery({
    queryKey: keys.workflows.graph(templateId ?? '', versionId ?? ''),
    queryFn: ({ signal }) => readTemplateGraph(templateId!, versionId!, signal),
    enabled: templateId !== null && versionId !== null,
    staleTime: Infinity,
  });

/** Keeps the newer of two snapshots of the same run (a slow read must not undo a newer one). */
export function newerRun(prev: Run | null | undefined, next: Run): Run {
  if (!prev || prev.id !== next.id) return next;
  return next.updated_at >= prev.updated_at ? next : prev;
}

/**
 * The version's latest run (null: none yet). Live updates (events, polling, the controls' answers)
 * are written into this query's cache with `newerRun`, and a re-read keeps a newer snapshot too.
 */
export const latestRunOptions = (queryClient: QueryClient, projectId: string, versionId: string) =>
  queryOptions({
    queryKey: keys.workflows.latestRun(projectId, versionId),
    queryFn: async ({ signal }): Promise<Run | null> => {
      const read = await findLatestRun(projectId, versionId, signal);
      return read ? newerRun(queryClient.getQueryData<Run | null>(keys.workflows.latestRun(projectId, versionId)), read) : null;
    },
  });

export function useLatestRun(projectId: string, versionId: string) {
  return useQuery(latestRunOptions(useQueryClient(), projectId, versionId));
}

/**
 * A review node's queue. `hold()` true (decisions sent and not answered yet) keeps what is shown:
 * a read that lands meanwhile is dropped, since it may predate them. While shots are being redrawn
 * the queue is re-read every 700 ms until their new frames are in.
 */
export const reviewQueueOptions = (queryClient: QueryClient, nodeRunId: string, nodeStatus: StepStatus, hold: () => boolean) =>
  queryOptions({
    queryKey: keys.workflows.review(nodeRunId, nodeStatus),
    queryFn: async ({ signal }): Promise<ReviewQueue> => {
      const read = await getReviewQueue(nodeRunId, signal);
      const shown = queryClient.getQueryData<ReviewQueue>(keys.workflows.review(nodeRunId, nodeStatus));
      return hold() && shown ? shown : read;
    },
    // The previous status's queue stays on screen while the new one is read; a queue is read
    // afresh whenever the review opens.
    placeholderData: keepPreviousData,
    gcTime: 0,
    refetchInterval: (query) => (isRedrawingQueue(query.state.data) ? REDRAW_POLL_MS : false),
    refetchIntervalInBackground: true,
  });

export function useReviewQueueQuery(nodeRunId: string, nodeStatus: StepStatus, hold: () => boolean) {
  return useQuery(reviewQueueOptions(useQueryClient(), nodeRunId, nodeStatus, hold));
}

/** How often a queue with shots being redrawn is re-read. */
export const REDRAW_POLL_MS = 700;

export function isRedrawingQueue(q: ReviewQueue | undefined): boolean {
  return q?.status === 'waiting' && q.items.some(isRedrawing);
}

/* ---------- credits ---------- */

export const useDashboard = (days: number) =>
  useQuery({ queryKey: keys.credits.dashboard(days), queryFn: ({ signal }) => getDashboard(days, signal), placeholderData: keepPreviousData });

/** The spendable balance (`GET /billing/balance`); read afresh with every `keys.credits.all` invalidation. */
export const useBalance = () => useQuery({ queryKey: keys.credits.balance, queryFn: ({ signal }) => getBalance(signal) });

export const useHolds = (status: HoldStatus | undefined) =>
  useQuery({ queryKey: keys.credits.holds(status), queryFn: ({ signal }) => listHolds(status, signal) });

export const useTransactions = (q: TransactionQuery) =>
  useQuery({ queryKey: keys.credits.transactions(q), queryFn: ({ signal }) => listTransactions(q, signal), placeholderData: keepPreviousData });

export const useRunEstimate = (projectId: string, templateId: string) =>
  useQuery({
    queryKey: keys.credits.runEstimate(projectId, templateId),
    queryFn: ({ signal }) => estimateRun({ project_id: projectId, template_id: templateId }, signal),
  });

/* ---------- accounts ---------- */

/** The signed-in account, read fresh every time a screen asks (an admin may have changed it). */
export const useMe = () => useQuery({ queryKey: keys.account.me, queryFn: ({ signal }) => getMe(signal), gcTime: 0 });

export const useOAuthProviders = () =>
  useQuery({ queryKey: keys.account.oauthProviders, queryFn: ({ signal }) => listOAuthProviders(signal) });

export const useOAuthIdentities = () =>
  useQuery({ queryKey: keys.account.oauthIdentities, queryFn: ({ signal }) => listOAuthIdentities(signal) });

export const useApiKeys = () => useQuery({ queryKey: keys.account.apiKeys, queryFn: ({ signal }) => listApiKeys(signal) });

export const useUsers = (q: UsersQuery, enabled = true) =>
  useQuery({ queryKey: keys.account.users(q), queryFn: ({ signal }) => listUsers(q, signal), placeholderData: keepPreviousData, enabled });


/* ---------- model router ---------- */

export const useRouterModels = () =>
  useQuery({ queryKey: keys.router.models, queryFn: ({ signal }) => listRouterModels(signal), staleTime: 60_000 });

export const useRouterRequests = (limit: number) =>
  useQuery({ queryKey: keys.router.requests(limit), queryFn: ({ signal }) => listRouterRequests(limit, signal) });

export const useMyUsage = (period: Period) =>
  useQuery({ queryKey: keys.router.usage(period), queryFn: ({ signal }) => getMyUsage(period, signal), placeholderData: keepPreviousData });

export const useLeaderboard = (period: Period, limit: number) =>
  useQuery({ queryKey: keys.router.leaderboard(period, limit), queryFn: ({ signal }) => getLeaderboard(period, limit, signal), placeholderData: keepPreviousData });

/** How often a usage row still open is re-read, and for how many reads at most. */
const OPEN_ROW_POLL_MS = 500;
const OPEN_ROW_POLLS = 60;

/**
 * A router request's usage row. A stream's row is finished just after its last event (and up to
 * the drain time after a Stop), so an open row is re-read until it is done, for 30 s at most.
 */
export const useRouterRequest = (id: string | null) =>
  useQuery({
    queryKey: keys.router.request(id ?? ''),
    queryFn: ({ signal }) => getRouterRequest(id!, signal),
    enabled: id !== null,
    refetchInterval: (q) => (q.state.data?.status === 'open' && q.state.dataUpdateCount < OPEN_ROW_POLLS ? OPEN_ROW_POLL_MS : false),
  });

/* ---------- workspaces ---------- */

export const useMembers = (workspaceId: string, enabled = true) =>
  useQuery({ queryKey: keys.workspaces.members(workspaceId), queryFn: ({ signal }) => listMembers(workspaceId, signal), enabled });

export const useInvitations = (workspaceId: string, enabled = true) =>
  useQuery({ queryKey: keys.workspaces.invitations(workspaceId), queryFn: ({ signal }) => listInvitations(workspaceId, signal), enabled });

export const useInvitationPreview = (token: string) =>
  useQuery({ queryKey: keys.workspaces.invitation(token), queryFn: ({ signal }) => previewInvitation(token, signal) });
